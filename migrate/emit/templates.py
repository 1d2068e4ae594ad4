"""Locate the code templates shipped in `templates/` (installed as `migrate/_templates`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


@cache
def read_template(name: str) -> str:
    for folder in (_PACKAGE / "_templates", _PACKAGE.parent / "templates"):
        candidate = folder / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"template {name!r} is missing from this installation")
