"""One line per diagnostic: `path:line:col: CODE [severity] message` (grep-able)."""

from __future__ import annotations

from migrate.lint.output.colors import SEVERITY_STYLE, style


def line(d, color: bool = False) -> str:
    where = style(f"{d.path}:{d.line}:{d.col}:", "bold", enabled=color)
    code = style(d.code, "bold", SEVERITY_STYLE[d.severity], enabled=color)
    return f"{where} {code} [{d.severity}] {d.message}"


def render(data) -> str:
    return "".join(line(d, data.color) + "\n" for d in data.diagnostics)
