"""Map the spec builder's and planner's Findings (stable kebab codes) to lint Reports.

The semantics live in migrate.legacy and migrate.plan; which rule reports which finding is the one
table of migrate.codes, shared with convert's and verify's output.
"""

from __future__ import annotations

from collections.abc import Iterator

from migrate.codes import code_for
from migrate.lint.context import LegacyContext
from migrate.lint.rule import Report

# Findings whose message is a fragment about the key ("only matters for precision 16; ..."):
# the key is put in front of them.
_FRAGMENT_CODES = ("nested-precision-key", "fp8-params-without-fp8")


def _message(finding) -> str:
    origin = finding.origin
    fragment = finding.code in _FRAGMENT_CODES or finding.code.endswith(("-ignored", "-unused"))
    if fragment and origin is not None and origin.key and not finding.message.startswith(origin.key):
        return f"{origin.key}: {finding.message}"
    return finding.message


def owner(finding) -> str:
    """The rule that reports a finding (migrate.codes: one table for convert, lint and verify)."""
    return code_for(finding.code, finding.severity)


def reports_for(ctx: LegacyContext, rule_code: str, fallback: str | None = None) -> Iterator[Report]:
    seen: set[tuple[int, int, str]] = set()
    for finding in ctx.findings():
        if owner(finding) != rule_code:
            continue
        report = ctx.at_origin(finding.origin, _message(finding), fallback)
        key = (report.line, report.col, report.message)
        if key not in seen:  # the plan repeats the spec's findings only once, but be safe
            seen.add(key)
            yield report


def error_reports(ctx: LegacyContext, rule_code: str) -> Iterator[Report]:
    """The refusal the spec builder raised, when `rule_code` owns it (InputError.code; NMP100 owns the
    rest): located at the key, in the composed file it was read from."""
    error = ctx.spec_error
    if error is None or (error.code or "NMP100") != rule_code or error.location.line is None:
        return
    line, col = error.location.line, error.location.col or 1
    path = error.location.path if error.location.path != ctx.path else None  # another composed file
    end_col = col + 1
    for span in ctx.document.key_spans.values():
        if span.line == line and span.col == col and span.path == path:
            end_col = span.end_col
            break
    yield Report(line, col, line, end_col, error.message, path)
