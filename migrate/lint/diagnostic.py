"""One lint result: where (file, line, column, end), which rule, how severe, and what."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """Lines and columns are 1-based; `end_col` is the column just after the offending text."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    code: str
    name: str
    severity: str
    message: str
