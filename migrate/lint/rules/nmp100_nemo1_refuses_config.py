"""NMP100: a value NeMo 1.0 would refuse, or that cannot be evaluated, that no specific rule covers."""

from __future__ import annotations

from migrate.lint.rule import Report, Rule


def check(ctx):
    error = ctx.spec_error
    if error is None or error.location.line is None or error.location.line in ctx.refusal_lines:
        return
    line, col = error.location.line, error.location.col or 1
    path = error.location.path if error.location.path != ctx.path else None  # another composed file
    end_col = col + 1
    for span in ctx.document.key_spans.values():
        if span.line == line and span.col == col and span.path == path:
            end_col = span.end_col
            break
    yield Report(line, col, line, end_col, error.message, path)


RULE = Rule(
    code="NMP100",
    name="nemo1-refuses-config",
    severity="error",
    kind="legacy",
    summary="NeMo 1.0 would refuse this precision value, or it cannot be evaluated",
    explanation=(
        "The precision settings are evaluated the way NeMo 1.0 reads them. A value of the wrong type "
        "(e.g. `fp8: 'yes'`), an unknown `fp8_recipe`, or a mandatory `???` that is never set makes NeMo 1.0 "
        "fail at start-up, and leaves the effective precision undefined, so no migration can be derived. "
        "Configs refused for a reason with its own rule (NMP101, NMP106, NMP108, NMP109, NMP110) are "
        "reported under that rule instead."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: 'yes'\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((4, 3),),
    check=check,
)
