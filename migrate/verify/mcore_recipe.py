"""Megatron-core's TE recipe construction, applied to the fields a NeMo 2.0 plugin or a Bridge config
leaves on the TransformerConfig (semantics notes section 4.2: `get_fp8_recipe`, `TEDelayedScaling`).

Both migrated sides reach the same Megatron-core code, so it is modelled once; a side supplies
`arg(name)` / `why(name)` for the fields, `set(key, value, why)` for the rows and an `errors` list.
"""

from __future__ import annotations

from typing import Any, Protocol

from migrate.verify.effective import RECIPE_CLASSES, TE_FORMATS


# Transformer Engine's current-scaling and block-scaling recipes have an fp8_mha field (default False;
# TransformerEngine v2.6 common/recipe/__init__.py, Float8CurrentScaling / MXFP8BlockScaling /
# Float8BlockScaling), and Megatron-core's get_fp8_recipe never passes it (megatron-core 0.12.3 - 0.19.2
# fp8_utils.py: only fp8_format, and fp8_dpa from 0.15): FP8 multi-head attention stays off.
NO_FP8_MHA = "Megatron-core does not pass fp8_mha to {recipe}: Transformer Engine's default False"


class Side(Protocol):
    errors: list[str]

    def arg(self, name: str) -> Any: ...

    def why(self, name: str) -> str: ...

    def set(self, key: str, value: Any, why: str) -> None: ...


def fp8_format(side: Side, fmt: Any) -> bool:
    """Set the format row; False when Megatron-core would refuse it (the caller stops there)."""
    side.set("fp8_format", fmt, side.why("fp8"))
    if fmt not in TE_FORMATS:
        side.errors.append(
            f"fp8={fmt!r}: Megatron-core get_fp8_recipe raises 'E4M3 and HYBRID are the only supported FP8 formats.'"
        )
        return False
    return True


def recipe_rows(side: Side, selector: Any, selector_why: str, unsupported: str = "not a supported FP8 recipe") -> str | None:
    """Rows of the TE recipe Megatron-core builds for `selector`; its class name, or None if it raises."""
    if selector not in RECIPE_CLASSES:
        side.errors.append(f"fp8_recipe={selector!r}: Megatron-core raises ({unsupported})")
        side.set("recipe_class", selector, selector_why)
        return None
    recipe = RECIPE_CLASSES[selector]
    side.set("recipe_class", recipe, selector_why)
    delayed = recipe == "DelayedScaling"
    not_arg = f"{recipe} takes no such argument"
    # Only TEDelayedScaling consumes margin, history and algorithm.
    for key, name in (
        ("margin", "fp8_margin"),
        ("amax_history_len", "fp8_amax_history_len"),
        ("amax_compute_algo", "fp8_amax_compute_algo"),
    ):
        side.set(key, side.arg(name) if delayed else None, side.why(name) if delayed else not_arg)
    side.set("fp8_mha", side.arg("fp8_multi_head_attention") if delayed else False,
             side.why("fp8_multi_head_attention") if delayed else NO_FP8_MHA.format(recipe=recipe))
    if delayed and side.arg("fp8_amax_compute_algo") not in ("max", "most_recent"):
        side.errors.append(f"fp8_amax_compute_algo={side.arg('fp8_amax_compute_algo')!r}: DelayedScaling rejects it")
    side.set(
        "reduce_amax",
        True if delayed else None,
        "Megatron-core never passes reduce_amax: TE default True" if delayed else not_arg,
    )
    dpa_used = recipe != "Float8BlockScaling"
    side.set(
        "fp8_dpa",
        side.arg("fp8_dot_product_attention") if dpa_used else None,
        side.why("fp8_dot_product_attention") if dpa_used else not_arg,
    )
    side.set("fp8_wgrad", side.arg("fp8_wgrad"), side.why("fp8_wgrad") + " (override_linear_precision; ignored by TE >= 2.0)")
    return recipe
