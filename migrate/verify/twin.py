"""The legacy run as the migrated stack could express it: its "expressible twin".

Some legacy settings have no NeMo 2.0 / Megatron Bridge counterpart (the structural check's
"limitation" rows): O1 (fp32 weights under autocast), NeMo 1.0's GradScaler update rule (hysteresis
re-armed by every clean step, no floor) and `reduce_amax: False`. The twin is the legacy RunConfig
with exactly those settings replaced by the nearest expressible value (O2 weights; Megatron-core's
scaler rule with the migrated side's floor; reduce_amax True). The numeric check then asks two
questions:

- twin vs migrated, bitwise: did the migration carry everything that *can* be carried?
- legacy vs migrated, by distance: how far do the inexpressible settings move training?
"""

from __future__ import annotations

from dataclasses import replace

from migrate.verify.recipes import MEGATRON_RULE, NEMO1_RULE, RecipeConfig, RunConfig

TWIN_LABEL = "legacy, as expressible"
MEGATRON_DEFAULT_FLOOR = 1.0  # OptimizerConfig.min_loss_scale (Megatron-core, NeMo 2.x, Bridge)


def expressible_twin(legacy: RunConfig, migrated: RunConfig) -> tuple[RunConfig | None, tuple[str, ...]]:
    """(twin, what was replaced and why), or (None, ()) when every legacy setting is expressible."""
    changes: list[str] = []
    weights = legacy.weights
    if legacy.weights == "O1" and migrated.weights == "O2":
        weights = "O2"
        changes.append(
            f"weights: O1 (fp32 weights under torch.autocast({legacy.dtype})) -> O2 ({legacy.dtype} weights with "
            "fp32 main params): NeMo 2.0 has no O1"
        )
    scaler = legacy.scaler
    if scaler is not None and scaler.rule == NEMO1_RULE:
        floor = scaler.min_scale
        if floor is None:
            other = migrated.scaler
            floor = other.min_scale if other is not None and other.kind == "dynamic" and other.min_scale is not None else MEGATRON_DEFAULT_FLOOR
        scaler = replace(scaler, rule=MEGATRON_RULE, min_scale=floor)
        if legacy.scaler.kind == "dynamic":
            changes.append(
                "loss scaler: NeMo 1.0 GradScaler rule (hysteresis re-armed after every clean step, no floor) -> "
                f"Megatron-core DynamicGradScaler rule (hysteresis re-armed only when the scale grows, floor {floor:g})"
            )
    recipe = legacy.recipe
    if recipe is not None and dict(recipe.kwargs).get("reduce_amax") is False:
        recipe = RecipeConfig(recipe.cls, tuple((k, True if k == "reduce_amax" else v) for k, v in recipe.kwargs))
        changes.append("reduce_amax: False -> True: Megatron-core never passes it, so TE's default True applies "
                       "(it matters only with more than one GPU)")
    if not changes:
        return None, ()
    twin = replace(legacy, label=TWIN_LABEL, weights=weights, scaler=scaler, recipe=recipe)
    return twin, tuple(changes)
