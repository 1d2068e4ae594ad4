"""save_atomic (the verify plot's writer) replaces a file all at once, like write_atomic: a failing
save leaves the old file and no temporary file, an OS error is one located InputError."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.atomic import save_atomic
from migrate.errors import InputError


def test_the_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"old")
    plot.chmod(0o640)
    save_atomic(plot, lambda temp: Path(temp).write_bytes(b"new"), ".png")
    assert plot.read_bytes() == b"new" and plot.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_a_failing_save_leaves_the_old_file(tmp_path: Path) -> None:
    plot = tmp_path / "plot.png"
    plot.write_bytes(b"old")

    def half_written(temp: str) -> None:
        Path(temp).write_bytes(b"ne")
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError):
        save_atomic(plot, half_written, ".png")
    assert plot.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_an_os_error_is_a_located_input_error(tmp_path: Path) -> None:
    def no_space(temp: str) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(InputError, match="cannot write: No space left on device") as raised:
        save_atomic(tmp_path / "plot.png", no_space)
    assert raised.value.location.path == str(tmp_path / "plot.png")
