"""The files a lint run reads: named files as given, directories searched for YAML and Python."""

from __future__ import annotations

import os
from pathlib import Path

from migrate.inputs import walk_files
from migrate.settings import excluded_by

LINT_SUFFIXES = (".yaml", ".yml", ".py")


def _relative(path: str, root: Path | None) -> str:
    """The path relative to the project root in `/` form (as given when outside it, or without a root)."""
    if root is not None:
        try:
            return Path(os.path.abspath(path)).relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(os.path.normpath(path)).as_posix()


def _excluded(path: str, patterns: tuple[str, ...], root: Path | None) -> bool:
    """`exclude` globs match the path relative to the project root, its name or a folder it lies in,
    as for `convert` (migrate.settings.excluded_by)."""
    return bool(patterns) and excluded_by(patterns, _relative(path, root))


def collect_files(paths: list[str], exclude: tuple[str, ...] = (), force_exclude: bool = False,
                  root: Path | None = None) -> tuple[list[str], list[str]]:
    """Files to lint in a stable order, and the paths that do not exist.

    Files named explicitly are read unless `force_exclude` applies the `exclude` globs to them too (what
    pre-commit needs: it passes files one by one); files found below a directory are filtered by suffix,
    hidden and virtual-environment folders, and `exclude` globs.
    """
    found: list[str] = []
    missing: list[str] = []
    for given in paths:
        if given == "-":
            found.append(given)
        elif os.path.isdir(given):
            # FIFOs and devices found in a directory are passed over (reading one would block)
            found += [os.path.normpath(path) for path, regular in
                      walk_files(given, LINT_SUFFIXES, lambda path: _excluded(path, exclude, root)) if regular]
        elif os.path.exists(given):
            if not (force_exclude and _excluded(given, exclude, root)):
                found.append(given)
        else:
            missing.append(given)
    return found, missing
