"""Output formats of `nemo-migrate lint`; each module renders a finished run to text."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from migrate.lint.diagnostic import Diagnostic

FORMATS = ("full", "concise", "json", "json-lines", "github", "sarif", "junit")
_MODULES = {
    "full": "full", "concise": "concise", "json": "json_format", "json-lines": "json_lines",
    "github": "github", "sarif": "sarif", "junit": "junit",
}


@dataclass(frozen=True)
class RenderInput:
    """What every format may need: the diagnostics, the files read, their text, and where the root is."""

    diagnostics: list[Diagnostic]
    files: list[str]
    sources: dict[str, str]
    root: Path
    selected: frozenset[str]
    color: bool = False
    summary: str = ""  # the run's summary sentence (migrate.lint.summary), for formats that repeat it


def render(format_name: str, data: RenderInput) -> str:
    module = importlib.import_module(f"migrate.lint.output.{_MODULES[format_name]}")
    return module.render(data)
