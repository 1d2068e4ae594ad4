"""GitHub Actions workflow commands (annotations), plus the Markdown job summary."""

from __future__ import annotations

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d) -> str:
    props = [f"title={_property(f'nemo-migrate ({d.code})')}", f"file={_property(d.path)}", f"line={d.line}"]
    if d.end_line == d.line:  # GitHub rejects columns on multi-line spans
        props += [f"col={d.col}", f"endColumn={d.end_col}"]
    props.append(f"endLine={d.end_line}")
    return f"::{LEVELS[d.severity]} {','.join(props)}::{_data(f'{d.path}:{d.line}:{d.col}: {d.code} {d.message}')}"


def render(data) -> str:
    return "".join(annotation(d) + "\n" for d in data.diagnostics)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def step_summary(data) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: GitHub shows at most 50 annotations per job, this lists all,
    headed by the run's summary sentence (the same counts as stderr's)."""
    head = data.summary or f"{len(data.diagnostics)} diagnostics in {len(data.files)} files."
    if not data.diagnostics:
        return f"## nemo-migrate lint\n\n{head}\n"
    rows = [
        f"| `{_cell(d.path)}:{d.line}:{d.col}` | {d.code} | {d.severity} | {_cell(d.message)} |" for d in data.diagnostics
    ]
    return (
        f"## nemo-migrate lint\n\n{_cell(head)}\n\n"
        "| location | rule | severity | message |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
