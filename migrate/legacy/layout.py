"""Where a run keeps its precision keys: the model and trainer sections (or the root of a model-only file)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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
# Presence of any of these makes a model section a precision config.
SIGNAL_KEYS = frozenset(k for k in MODEL_PRECISION_KEYS if k not in ("mcore_gpt", "fsdp"))


@dataclass(frozen=True)
class Layout:
    """One run of a config: `model` and `trainer` are dotted section prefixes ("model", "trainer"; "" for a
    root model_config.yaml; "actor.model" in a file holding several runs). `role` is "training" or
    "model-only"; `run` names the run in a multi-run file; `evidence` says why this role was chosen."""

    model: str
    has_trainer: bool
    trainer: str = "trainer"
    role: str = "training"
    run: str | None = None
    evidence: str = ""

    def key(self, name: str) -> str:
        return f"{self.model}.{name}" if self.model else name

    def trainer_key(self, name: str) -> str:
        return f"{self.trainer}.{name}"

    def root_key(self, name: str) -> str:
        """A key beside this run's trainer and model sections."""
        return f"{self.run}.{name}" if self.run else name


@dataclass(frozen=True)
class Skip:
    """Not a NeMo 1.0 training config: `role` names what it is, `reason` says why (and what to do)."""

    reason: str
    role: str = "not-precision"


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
