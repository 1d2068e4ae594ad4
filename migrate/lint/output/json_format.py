"""A JSON array of diagnostics, shaped like ruff's (1-based rows and columns)."""

from __future__ import annotations

import json


def record(d) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity,
        "message": d.message,
        "filename": d.path,
        "location": {"row": d.line, "column": d.col},
        "end_location": {"row": d.end_line, "column": d.end_col},
        "noqa_row": d.line,
    }


def render(data) -> str:
    return json.dumps([record(d) for d in data.diagnostics], indent=2) + "\n"
