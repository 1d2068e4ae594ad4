"""Settings of every command from `[tool.nemo-migrate]` in pyproject.toml (or a file given with --config).

The nearest pyproject.toml above the working directory that has a `[tool.nemo-migrate]` table is
used; `--config PATH` replaces it, and `--config 'key = value'` overrides one setting. Command-line
options override both. `convert`, `lint` and `verify` read the same settings, and every resolved
value knows where it came from (`--show-settings` prints them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECTION = "nemo-migrate"
LIST_KEYS = ("select", "extend-select", "ignore", "exclude")
STRING_KEYS = ("output-format", "fail-on", "nemo1-version", "target-nemo", "min-severity", "trainer-builder")
TABLE_KEYS = ("per-file-ignores", "per-file-nemo1-version")
KNOWN_KEYS = frozenset(LIST_KEYS + STRING_KEYS + TABLE_KEYS)


class ConfigError(Exception):
    """A configuration file or value the tool cannot use (exit status 2)."""


@dataclass(frozen=True)
class FileSettings:
    """Settings as written in configuration; `root` is where relative paths are taken from."""

    root: Path
    source: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    overridden: frozenset[str] = frozenset()  # keys given with --config 'key = value'


def _toml(text: str, where: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
        import tomli as tomllib

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
        if key == "per-file-nemo1-version" and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            raise ConfigError(f"{where}: per-file-nemo1-version must map glob patterns to NeMo 1.x releases")
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
        settings = FileSettings(settings.root, settings.source, {**settings.values, **overrides}, frozenset(overrides))
    return settings


def shown_path(path: str | None) -> str:
    """A settings file as messages name it: relative to the working directory when below it."""
    if path is None:
        return "settings"
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


@dataclass(frozen=True)
class Choice:
    """A resolved setting and where it came from (the command line, a settings file, or the default)."""

    value: Any
    source: str


def resolve(files: FileSettings, key: str, given: Any, option: str, default: Any) -> Choice:
    """The command line wins, then `--config 'key = value'`, then the settings file, then the default."""
    if given is not None:
        return Choice(given, f"{option} on the command line")
    if key in files.values:
        where = f"--config '{key} = ...'" if key in files.overridden else f"{key} in {shown_path(files.source)}"
        return Choice(files.values[key], where)
    return Choice(default, "the default")


def excluded_by(patterns, relative: str) -> bool:
    """An `exclude` glob matches the path relative to the project root, its name, or one of the folders
    it lies in (`vendor` or `conf/vendor` excludes everything below that folder), as in ruff."""
    parts = relative.split("/")
    return any(matches(pattern, "/".join(parts[:end])) for pattern in patterns for end in range(len(parts), 0, -1))


def matches(pattern: str, relative: str) -> bool:
    """A glob of `per-file-*` tables: against the path relative to the project root, or the file name."""
    import fnmatch

    return fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative.rsplit("/", 1)[-1], pattern)


def nemo1_version_for(files: FileSettings, relative: str, general: Choice) -> Choice:
    """`per-file-nemo1-version` (first matching glob) over the general choice; the command line beats both."""
    if general.source.endswith("on the command line"):
        return general
    for pattern, version in files.values.get("per-file-nemo1-version", {}).items():
        if matches(pattern, relative):
            return Choice(version, f"per-file-nemo1-version {pattern!r} in {shown_path(files.source)}")
    return general
