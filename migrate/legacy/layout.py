"""Where a YAML keeps its precision keys, or why it is not a NeMo 1.0 precision config."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from migrate.legacy.reader import LegacyConfig

# Keys NeMo 1.0 reads from the model section (semantics notes, sections 1.4 and 2.1).
MODEL_PRECISION_KEYS = frozenset(
    {
        "precision",
        "megatron_amp_O2",
        "native_amp_init_scale",
        "native_amp_growth_interval",
        "hysteresis",
        "transformer_engine",
        "fp8",
        "fp8_e4m3",
        "fp8_hybrid",
        "fp8_margin",
        "fp8_interval",
        "fp8_amax_history_len",
        "fp8_amax_compute_algo",
        "reduce_amax",
        "fp8_wgrad",
        "fp8_params",
        "fp8_param",
        "fp8_dot_product_attention",
        "fp8_multi_head_attention",
        "fp8_recipe",
        "first_last_layers_bf16",
        "num_layers_at_start_in_bf16",
        "num_layers_at_end_in_bf16",
        "tp_only_amax_red",
        "fp16_lm_cross_entropy",
        "grad_allreduce_chunk_size_mb",
        "mcore_gpt",
        "fsdp",
    }
)
# Presence of any of these makes a file a precision config.
_SIGNAL_KEYS = frozenset(k for k in MODEL_PRECISION_KEYS if k not in ("mcore_gpt", "fsdp"))


@dataclass(frozen=True)
class Layout:
    """`model` is the dotted prefix of the model keys ("model", or "" for a root model_config.yaml)."""

    model: str
    has_trainer: bool

    def key(self, name: str) -> str:
        return f"{self.model}.{name}" if self.model else name


@dataclass(frozen=True)
class Skip:
    reason: str


def targets(node: Any) -> Iterator[str]:
    """Every `_target_` string in a config (Hydra/NeMo-Run class paths)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_" and isinstance(value, str):
                yield value
            else:
                yield from targets(value)
    elif isinstance(node, list):
        for item in node:
            yield from targets(item)


def detect_layout(config: LegacyConfig) -> Layout | Skip:
    if not isinstance(config.data, dict):
        return Skip("not a mapping at the top level; not a NeMo 1.0 config")
    for target in targets(config.data):
        if "MegatronMixedPrecision" in target or target.startswith("nemo.lightning"):
            return Skip(f"already NeMo 2.0 (_target_: {target})")
        if target.startswith("nemo_automodel"):
            return Skip(f"a NeMo AutoModel config (_target_: {target}), not NeMo 1.0")
    has_trainer = isinstance(config.section("trainer"), dict)
    trainer_precision = has_trainer and config.has("trainer.precision")
    model = config.section("model")
    if isinstance(model, dict) and (trainer_precision or _SIGNAL_KEYS & set(model)):
        return Layout("model", has_trainer)
    if trainer_precision:
        return Layout("model", has_trainer)
    if not has_trainer and _SIGNAL_KEYS & set(config.data):
        return Layout("", has_trainer)  # .nemo-style model_config.yaml: model keys at the root
    return Skip("no NeMo 1.0 precision keys (trainer.precision, model.precision, model.fp8*, ...)")
