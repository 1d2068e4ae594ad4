"""Which NeMo 1.x code the config ran on: the behaviours that differ between releases.

Sources: semantics notes sections 1.2, 1.7 and 2.1. "2.x" is the NeMo 1.0 code path that kept
shipping inside NeMo 2.x releases (megatron_gpt_pretraining.py in a 24.x/25.x container).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Nemo1Profile:
    name: str
    # v1.22 (NeMo commit b97ee352) changed the legacy-path FP8 code defaults from 1/"most_recent"
    # to 1024/"max".
    legacy_fp8_history_1024_max: bool
    # v2.x tree: mcore_gpt with transformer_engine: False builds the local (non-TE) layer spec.
    mcore_honours_transformer_engine: bool
    # Megatron-core pinned by v1.23 (0.5) lacks fp8_dot_product_attention / fp8_multi_head_attention.
    mcore_has_fp8_attention_fields: bool
    # Megatron-core >= 0.12 fields read by name on the v2.x tree: fp8_recipe, fp8_param,
    # first_last_layers_bf16, num_layers_at_{start,end}_in_bf16, tp_only_amax_red.
    mcore_has_recipe_fields: bool
    # v2.x tree builds no GradScaler for fp16 + FSDP.
    fsdp_fp16_has_scaler: bool
    distributed_optimizers: tuple[str, ...]


_PROFILES = {
    "1.21": Nemo1Profile("1.21", False, False, False, False, True, ("distributed_fused_adam",)),
    "1.22": Nemo1Profile("1.22", True, False, False, False, True, ("distributed_fused_adam",)),
    "1.23": Nemo1Profile("1.23", True, False, False, False, True, ("distributed_fused_adam",)),
    "2.x": Nemo1Profile(
        "2.x", True, True, True, True, False, ("distributed_fused_adam", "mcore_distributed_optim")
    ),
}
DEFAULT_NEMO1_VERSION = "1.23"
NEMO1_VERSION_CHOICES = ("1.21", "1.22", "1.23", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.x")


def nemo1_profile(version: str) -> Nemo1Profile:
    """Profile for a --nemo1-version value; 2.0 .. 2.5 all mean the NeMo 1.0 code inside 2.x."""
    key = "2.x" if version.startswith("2.") else version
    if key not in _PROFILES:
        raise ValueError(
            f"unknown NeMo 1.x version {version!r}; choose one of {', '.join(NEMO1_VERSION_CHOICES)}"
        )
    return _PROFILES[key]
