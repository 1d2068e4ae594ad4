"""NMP301: a keyword `MegatronMixedPrecision` / `MixedPrecisionConfig` does not accept."""

from __future__ import annotations

from migrate.legacy.values import did_you_mean
from migrate.lint.python_targets import KEYWORDS, LEGACY_HINTS, accepted_keywords, releases_accepting
from migrate.lint.rule import Rule


def _message(call, name: str, accepted: frozenset[str], target_nemo: str) -> str:
    releases = releases_accepting(name) if call.name == "MegatronMixedPrecision" else ()
    if releases:
        return (
            f"MegatronMixedPrecision has no argument {name!r} in NeMo {target_nemo} (--target-nemo); the call "
            f"raises TypeError there (NeMo {', '.join(releases)} accept it)"
        )
    hint = LEGACY_HINTS[call.name].get(name)
    hint = f" ({hint})" if hint else did_you_mean(name, sorted(accepted))
    return f"{call.name} has no argument {name!r}; the call raises TypeError{hint}"


def check(ctx):
    for call in ctx.all_calls:
        if call.name not in KEYWORDS:
            continue
        accepted = accepted_keywords(call.name, ctx.target_nemo)
        for name in call.kwargs:
            if name not in accepted:
                yield ctx.at_keyword(call, name, _message(call, name, accepted, ctx.target_nemo))


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
        "`fp8_interval` (removed). The plugin's keywords are those of the `--target-nemo` release: the "
        "default, 2.7, accepts every keyword of earlier releases plus `fp4`/`fp4_recipe` (new in 2.6); "
        "`--target-nemo 2.5` reports `fp4`, and `--target-nemo 2.3` the `fp8_params` that 2.3 rejects."
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
