"""Outputs never destroy inputs: every way of naming an output (-o, --out-dir, --into), for every
target, is refused before anything is written when it would overwrite an input; links stay links;
a file that cannot be written is one located line while the other inputs are still converted."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hostile_helpers import GOOD_SCRIPT, GOOD_YAML, assert_clean_failure, digest_tree, run, temp_files

TARGETS = ["nemo2", "bridge", "automodel"]


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD_YAML, encoding="utf-8")
    (folder / "b.yaml").write_text(GOOD_YAML.replace("fp8_hybrid: True", "fp8_e4m3: True"), encoding="utf-8")
    return folder


@pytest.mark.parametrize("target", TARGETS)
def test_out_dir_equal_to_the_input_directory_never_overwrites_an_input(conf: Path, target: str) -> None:
    before = digest_tree(conf)
    result = run(["convert", "conf", "--target", target, "--out-dir", "conf"], conf.parent)
    assert_clean_failure(result)
    inputs_after = {name: digest for name, digest in digest_tree(conf).items() if name.endswith(".yaml")}
    assert inputs_after == before
    if target == "automodel":  # a.yaml -> a.yaml: refused for both inputs, nothing written
        assert result.code == 2
        assert any(line.startswith("conf/a.yaml: error: its output conf/a.yaml is an input") for line in result.lines())
        assert "nothing was written" in result.stderr
    else:  # modules beside their configs are fine
        assert result.code == 0, result.stderr
        assert sorted(p.name for p in conf.iterdir()) == ["a.py", "a.yaml", "b.py", "b.yaml"]


@pytest.mark.parametrize("target", TARGETS)
def test_dash_o_naming_the_input_is_refused(conf: Path, target: str) -> None:
    before = digest_tree(conf)
    result = run(["convert", "conf/a.yaml", "--target", target, "-o", "conf/a.yaml"], conf.parent)
    assert result.code == 2
    assert_clean_failure(result)
    assert "conf/a.yaml: error: its output conf/a.yaml is an input of this run" in result.stderr
    assert digest_tree(conf) == before


def test_dash_o_through_a_link_to_the_input_is_refused(conf: Path) -> None:
    (conf.parent / "alias.yaml").symlink_to(conf / "a.yaml")
    before = digest_tree(conf)
    result = run(["convert", "conf/a.yaml", "--target", "automodel", "-o", "alias.yaml"], conf.parent)
    assert result.code == 2
    assert digest_tree(conf) == before


def test_two_inputs_with_one_output_are_refused(conf: Path) -> None:
    (conf / "a.yml").write_text(GOOD_YAML, encoding="utf-8")
    out = conf.parent / "out"
    result = run(["convert", "conf", "--out-dir", "out"], conf.parent)
    assert result.code == 2
    assert "is also the output of" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("into", ["conf/a.yaml", "link.yaml"])
def test_into_the_input_config_is_refused(conf: Path, into: str) -> None:
    (conf.parent / "link.yaml").symlink_to(conf / "a.yaml")
    before = digest_tree(conf)
    result = run(["convert", "conf/a.yaml", "--target", "automodel", "--into", into], conf.parent)
    assert result.code == 2
    assert_clean_failure(result)
    assert f"{into}: is the config this run reads" in result.stderr
    assert digest_tree(conf) == before


def test_into_a_link_updates_the_linked_file_and_keeps_the_link(conf: Path) -> None:
    scripts = conf.parent / "scripts"
    scripts.mkdir()
    real = scripts / "train.py"
    real.write_text(GOOD_SCRIPT, encoding="utf-8")
    link = conf.parent / "train_link.py"
    link.symlink_to(real)
    result = run(["convert", "conf/a.yaml", "--into", "train_link.py", "-q"], conf.parent)
    assert result.code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "fp8_amax_history_len=1024" in real.read_text(encoding="utf-8")
    assert temp_files(conf.parent) == []


def test_dash_o_to_a_link_writes_through_it(conf: Path) -> None:
    real = conf.parent / "real.py"
    real.write_text("# old\n", encoding="utf-8")
    link = conf.parent / "out.py"
    link.symlink_to(real)
    result = run(["convert", "conf/a.yaml", "-o", "out.py", "-q"], conf.parent)
    assert result.code == 0, result.stderr
    assert link.is_symlink()
    assert "MegatronMixedPrecision" in real.read_text(encoding="utf-8")


def test_an_output_that_cannot_be_written_is_one_line_and_the_others_are_converted(conf: Path) -> None:
    out = conf.parent / "out"
    (out / "a.py").mkdir(parents=True)  # a directory where the module of a.yaml should go
    result = run(["convert", "conf", "--out-dir", "out"], conf.parent)
    assert result.code == 2
    assert_clean_failure(result)
    assert "out/a.py: error: cannot write: is a directory" in result.stderr
    assert (out / "b.py").is_file()
    assert "1 converted, 0 skipped, 1 failed" in result.stderr


def test_dash_o_naming_a_directory_is_a_located_error(conf: Path) -> None:
    result = run(["convert", "conf/a.yaml", "-o", "conf"], conf.parent)
    assert result.code == 2
    assert result.lines()[0] == "conf: error: cannot write: is a directory"


def test_lint_output_file_naming_a_directory(conf: Path) -> None:
    result = run(["lint", "conf", "--output-file", "conf"], conf.parent)
    assert result.code == 2
    assert_clean_failure(result)
    assert "conf: error: cannot write: is a directory" in result.stderr


def test_verify_json_naming_a_directory(conf: Path) -> None:
    result = run(["verify", "conf/a.yaml", "--no-numeric", "--json", "conf"], conf.parent)
    assert result.code == 2
    assert_clean_failure(result)
    assert "conf: error: cannot write: is a directory" in result.stderr


@pytest.mark.parametrize("failure", [errno.ENOSPC, errno.EROFS, errno.EPERM])
def test_os_errors_while_writing_are_located_and_leave_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: int
) -> None:
    """Disk full, read-only file system, immutable file: os.replace fails; in-process so it can be forced."""
    from migrate.atomic import write_atomic
    from migrate.errors import InputError

    target = tmp_path / "out.py"
    target.write_text("old\n", encoding="utf-8")

    def refuse(*_args: object) -> None:
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(InputError) as raised:
        write_atomic(target, "new\n")
    assert str(raised.value) == f"{target}: cannot write: {os.strerror(failure)}"
    assert target.read_text(encoding="utf-8") == "old\n"
    assert temp_files(tmp_path) == []


def test_a_failed_write_does_not_stop_the_run(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process: the first output's rename fails with a full disk, the second is still written."""
    from cli_helpers import run_cli

    out = conf.parent / "out"
    real_replace = os.replace
    calls: list[str] = []

    def full_once(src: str, dst: object) -> None:
        calls.append(str(dst))
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_once)
    result = run_cli(["convert", str(conf), "--out-dir", str(out)])
    assert result.code == 2
    assert f"{out / 'a.py'}: error: cannot write: No space left on device" in result.stderr
    assert (out / "b.py").is_file() and not (out / "a.py").exists()
    assert temp_files(out) == []
