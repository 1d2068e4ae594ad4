"""The files a lint run reads: named files as given, directories searched for YAML and Python."""

from __future__ import annotations

import fnmatch
import os
import stat

LINT_SUFFIXES = (".yaml", ".yml", ".py")
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})


def _is_regular(path: str) -> bool:
    """FIFOs and devices found in a directory are passed over (reading one would block)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


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
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(
                    d for d in dirnames
                    if not d.startswith(".") and d not in SKIPPED_DIRS
                    and not _excluded(os.path.relpath(os.path.join(dirpath, d), given).replace(os.sep, "/"), exclude)
                )
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    relative = os.path.relpath(full, given).replace(os.sep, "/")
                    if name.endswith(LINT_SUFFIXES) and not _excluded(relative, exclude) and _is_regular(full):
                        found.append(os.path.normpath(full))
        elif os.path.exists(given):
            if not (force_exclude and _excluded(os.path.normpath(given).replace(os.sep, "/"), exclude)):
                found.append(given)
        else:
            missing.append(given)
    return found, missing
