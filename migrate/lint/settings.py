"""Lint settings from `[tool.nemo-migrate]` in pyproject.toml (or a file given with --config).

The nearest pyproject.toml above the working directory that has a `[tool.nemo-migrate]` table is
used; `--config PATH` replaces it, and `--config 'key = value'` overrides one setting. Command-line
options override both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTION = "nemo-migrate"
LIST_KEYS = ("select", "extend-select", "ignore", "exclude")
STRING_KEYS = ("output-format", "fail-on", "nemo1-version", "target-nemo")
KNOWN_KEYS = frozenset(LIST_KEYS + STRING_KEYS + ("per-file-ignores",))


class ConfigError(Exception):
    """A configuration file or value the tool cannot use (exit status 2)."""


@dataclass(frozen=True)
class FileSettings:
    """Settings as written in configuration; `root` is where relative paths are taken from."""

    root: Path
    source: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


def _toml(text: str, where: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: invalid TOML: {error}") from None


def _section(data: dict, where: str, require_tool: bool) -> dict | None:
    tool = data.get("tool")
    if isinstance(tool, dict) and SECTION in tool:
        section = tool[SECTION]
    elif require_tool:
        return None
    else:
        section = data
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [tool.{SECTION}] must be a table")
    return section


def validate(values: dict, where: str) -> dict:
    for key, value in values.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(sorted(KNOWN_KEYS))})")
        if key in LIST_KEYS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        if key in STRING_KEYS and not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        if key == "per-file-ignores" and not (
            isinstance(value, dict)
            and all(isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values())
        ):
            raise ConfigError(f"{where}: per-file-ignores must map glob patterns to lists of rule codes")
    return values


def read_config_file(path: Path) -> FileSettings:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    section = _section(_toml(text, str(path)), str(path), require_tool=path.name == "pyproject.toml") or {}
    return FileSettings(path.resolve().parent, str(path), validate(dict(section), str(path)))


def discover(start: Path) -> FileSettings:
    """The nearest pyproject.toml with a [tool.nemo-migrate] table, else no settings.

    Without one, the root (what SARIF paths are relative to) is the enclosing git work tree, else `start`.
    """
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if f"tool.{SECTION}" not in text and f'tool."{SECTION}"' not in text:
                continue  # cheap test first: parsing TOML costs more than linting a small file
            section = _section(_toml(text, str(candidate)), str(candidate), require_tool=True)
            if section is not None:
                return FileSettings(folder, str(candidate), validate(dict(section), str(candidate)))
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return FileSettings(folder)
    return FileSettings(here)


def load_settings(config_args: list[str], cwd: str | None = None) -> FileSettings:
    """Discovered settings, replaced by `--config PATH` and overridden by `--config 'key = value'`."""
    settings = None
    overrides: dict[str, Any] = {}
    for arg in config_args:
        if os.path.isfile(arg):
            settings = read_config_file(Path(arg))
        elif "=" in arg:
            overrides.update(validate(_toml(arg, f"--config {arg!r}"), f"--config {arg!r}"))
        else:
            raise ConfigError(f"--config {arg!r}: no such file, and not a 'key = value' setting")
    if settings is None:
        settings = discover(Path(cwd or os.getcwd()))
    if overrides:
        settings = FileSettings(settings.root, settings.source, {**settings.values, **overrides})
    return settings
