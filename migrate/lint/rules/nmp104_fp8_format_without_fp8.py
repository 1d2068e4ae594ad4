"""NMP104: an FP8 format flag is set while FP8 itself is off (dead configuration)."""

from __future__ import annotations

from migrate.lint.rule import Rule


def check(ctx):
    if ctx.flag("fp8"):
        return
    for name in ("fp8_e4m3", "fp8_hybrid"):
        if ctx.flag(name):
            yield ctx.at_key(ctx.model_key(name), f"{name}: True has no effect while fp8 is off")


RULE = Rule(
    code="NMP104",
    name="fp8-format-without-fp8",
    severity="info",
    kind="legacy",
    summary="An FP8 format is selected but FP8 is off",
    explanation=(
        "`fp8_e4m3` and `fp8_hybrid` only choose the format when `fp8: True`. With FP8 off they are dead "
        "configuration (NeMo 1.22+ example configs ship `fp8: False` with `fp8_hybrid: True`); a reader may "
        "assume FP8 training. Nothing changes at run time; remove the flag or enable FP8 deliberately."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  fp8: False\n  fp8_hybrid: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  fp8: False\n  fp8_hybrid: False\n",
    bad_at=((5, 3),),
    check=check,
)
