"""ANSI styling for the human formats (rich is not imported: lint must start fast)."""

from __future__ import annotations

_CODES = {"bold": "1", "red": "31", "yellow": "33", "cyan": "36", "blue": "34", "dim": "2"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def style(text: str, *names: str, enabled: bool) -> str:
    if not enabled or not names:
        return text
    return "\x1b[" + ";".join(_CODES[n] for n in names) + "m" + text + "\x1b[0m"
