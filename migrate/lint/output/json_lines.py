"""One JSON object per line (same records as the json format), for streaming consumers."""

from __future__ import annotations

import json

from migrate.lint.output.json_format import record


def render(data) -> str:
    return "".join(json.dumps(record(d)) + "\n" for d in data.diagnostics)
