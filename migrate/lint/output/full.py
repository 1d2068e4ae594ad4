"""The default human format: the concise line, then the source line with the span underlined."""

from __future__ import annotations

from migrate.lint.output.colors import SEVERITY_STYLE, style
from migrate.lint.output.concise import line


def _excerpt(d, source: str | None, color: bool) -> list[str]:
    if source is None:
        return []
    lines = source.splitlines()
    if not 1 <= d.line <= len(lines):
        return []
    text = lines[d.line - 1].expandtabs(1)
    end = d.end_col if d.end_line == d.line and d.end_col > d.col else len(text) + 1
    width = len(str(d.line))
    gutter = " " * width + " |"
    marks = " " * (d.col - 1) + "^" * max(1, min(end, len(text) + 1) - d.col)
    return [
        style(gutter, "blue", enabled=color),
        style(f"{d.line} |", "blue", enabled=color) + " " + text,
        style(gutter, "blue", enabled=color) + " " + style(f"{marks} {d.name}", SEVERITY_STYLE[d.severity], enabled=color),
        "",
    ]


def render(data) -> str:
    out: list[str] = []
    for d in data.diagnostics:
        out.append(line(d, data.color))
        out.extend(_excerpt(d, data.sources.get(d.path), data.color))
    return "".join(item + "\n" for item in out)
