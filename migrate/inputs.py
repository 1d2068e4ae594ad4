"""Turn command-line paths into the list of YAML files to process, in a stable order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
STDIN = "-"


@dataclass(frozen=True)
class InputFile:
    """`path` is what the user named (or `-`); `relative` is its path below the directory given."""

    path: str
    relative: str


def collect_inputs(paths: list[str]) -> tuple[list[InputFile], list[str]]:
    """Files to read, and the paths that do not exist (reported as errors by the caller)."""
    found: list[InputFile] = []
    missing: list[str] = []
    for given in paths:
        if given == STDIN:
            found.append(InputFile(STDIN, "stdin.yaml"))
        elif os.path.isdir(given):
            root = Path(given)
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.endswith(YAML_SUFFIXES):
                        full = Path(dirpath) / name
                        found.append(InputFile(str(full), str(full.relative_to(root))))
        elif os.path.exists(given):
            found.append(InputFile(given, os.path.basename(given)))
        else:
            missing.append(given)
    return found, missing
