"""The one golden-file check of the suite: compare an output with its file under fixtures/, or, with
NEMO_MIGRATE_UPDATE_GOLDEN=1, write the file instead (then review the diff and run the suite again
without the variable: an update run compares nothing)."""

from __future__ import annotations

import os
from pathlib import Path

UPDATE_VARIABLE = "NEMO_MIGRATE_UPDATE_GOLDEN"
UPDATE = os.environ.get(UPDATE_VARIABLE) == "1"
ROOT = Path(__file__).resolve().parent.parent


def check_golden(path: Path, actual: str | bytes, keep_empty: bool = False) -> None:
    """`actual` must equal the file's content (bytes compare as bytes, text as UTF-8 text).

    An empty output has no file (a missing file reads as empty), unless `keep_empty`: then the file
    must exist, empty or not.
    """
    binary = isinstance(actual, bytes)
    if UPDATE:
        if actual or keep_empty:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual) if binary else path.write_text(actual, encoding="utf-8")
        elif path.exists():
            path.unlink()
        return
    if path.exists():
        expected = path.read_bytes() if binary else path.read_text(encoding="utf-8")
    else:
        expected = None if keep_empty else (b"" if binary else "")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    assert actual == expected, f"{shown} differs ({UPDATE_VARIABLE}=1 regenerates)"
