"""NMP301: a keyword `MegatronMixedPrecision` / `MixedPrecisionConfig` does not accept."""

from __future__ import annotations

from migrate.legacy.values import did_you_mean
from migrate.lint.python_targets import KEYWORDS, LEGACY_HINTS
from migrate.lint.rule import Rule


def check(ctx):
    for call in ctx.all_calls:
        accepted = KEYWORDS.get(call.name)
        if accepted is None:
            continue
        for name in call.kwargs:
            if name not in accepted:
                hint = LEGACY_HINTS[call.name].get(name)
                hint = f" ({hint})" if hint else did_you_mean(name, sorted(accepted))
                yield ctx.at_keyword(call, name, f"{call.name} has no argument {name!r}; the call raises TypeError{hint}")


RULE = Rule(
    code="NMP301",
    name="unknown-precision-argument",
    severity="error",
    kind="python",
    summary="Unknown keyword argument to the precision plugin or config",
    explanation=(
        "`nl.MegatronMixedPrecision.__init__` and Megatron Bridge's keyword-only `MixedPrecisionConfig` "
        "dataclass reject unknown keywords with a TypeError when the recipe is built, often long after the "
        "job was queued. NeMo 1.0 names do not carry over: `megatron_amp_O2`, `fp8_e4m3`/`fp8_hybrid` "
        "(use `fp8='e4m3'|'hybrid'`), `native_amp_init_scale` (use `fp16_initial_loss_scale`), "
        "`fp8_interval` (removed). The check accepts keywords of any NeMo 2.x release."
    ),
    bad=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n"
        "    precision=\"bf16-mixed\",\n    fp8_hybrid=True,\n)\n"
    ),
    good=(
        "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(\n"
        "    precision=\"bf16-mixed\",\n    fp8=\"hybrid\",\n)\n"
    ),
    bad_at=((5, 5),),
    check=check,
)
