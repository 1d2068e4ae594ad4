"""Human output on stderr: located warnings, errors and the closing summary line."""

from __future__ import annotations

import sys
from typing import TextIO

from migrate.codes import code_for
from migrate.errors import InputError, Location, one_line
from migrate.spec import Finding


def finding_line(path: str, finding: Finding) -> str:
    """`path:line:col: NMP121 [warning] message` (lint's concise format: one vocabulary), at the file the
    key was read from (a composed run reads keys from several files)."""
    origin = finding.origin
    location = origin.location(path) if origin is not None else Location(path)
    return one_line(f"{location}: {code_for(finding.code, finding.severity)} [{finding.severity}] {finding.message}")


def error_line(error: InputError) -> str:
    """`path:line:col: NMP100 [error] message`; errors without a rule (options, outputs) read
    `path: error: message`."""
    if error.code:
        return one_line(f"{error.location}: {error.code} [error] {error.message}")
    return one_line(f"{error.location}: error: {error.message}")


def print_findings(
    path: str, findings: tuple[Finding, ...], verbose: bool, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stderr
    for finding in findings:
        if finding.severity in ("warning", "notice") or verbose:
            print(finding_line(path, finding), file=stream)
