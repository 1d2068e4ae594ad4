"""The default human format: the concise line, then the source line with the span underlined."""

from __future__ import annotations

from migrate.lint.output.colors import SEVERITY_STYLE, style
from migrate.lint.output.concise import line


WIDTH = 160  # characters of a long source line shown around the column


def _visible(text: str) -> str:
    """Control characters of the source (a terminal would act on them) as one visible character each."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _excerpt(d, source: str | None, color: bool) -> list[str]:
    if source is None:
        return []
    lines = source.splitlines()
    if not 1 <= d.line <= len(lines):
        return []
    text = _visible(lines[d.line - 1].expandtabs(1))
    end = d.end_col if d.end_line == d.line and d.end_col > d.col else len(text) + 1
    col = d.col
    if len(text) > WIDTH:  # a window around the column, not a line of megabytes
        start = max(0, min(col - 1 - WIDTH // 2, len(text) - WIDTH))
        head, tail = ("..." if start else ""), ("..." if start + WIDTH < len(text) else "")
        text = head + text[start : start + WIDTH] + tail
        col, end = col - start + len(head), min(end - start, WIDTH + 1) + len(head)
    width = len(str(d.line))
    gutter = " " * width + " |"
    marks = " " * (col - 1) + "^" * max(1, min(end, len(text) + 1) - col)
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
