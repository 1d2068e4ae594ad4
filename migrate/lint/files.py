"""The files a lint run reads: named files as given, directories searched for YAML and Python."""

from __future__ import annotations

import fnmatch
import os

from migrate.inputs import walk_files

LINT_SUFFIXES = (".yaml", ".yml", ".py")


def _excluded(relative: str, patterns: tuple[str, ...]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def collect_files(paths: list[str], exclude: tuple[str, ...] = (), force_exclude: bool = False) -> tuple[list[str], list[str]]:
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
                      walk_files(given, LINT_SUFFIXES, lambda relative: _excluded(relative, exclude)) if regular]
        elif os.path.exists(given):
            if not (force_exclude and _excluded(os.path.normpath(given).replace(os.sep, "/"), exclude)):
                found.append(given)
        else:
            missing.append(given)
    return found, missing
