"""The canonical precision spec: the *effective* NeMo 1.0 behaviour of one config.

Every field is a Setting: the value NeMo 1.0 would actually use plus where it came from (a YAML
key and line, a `--set` override, or the NeMo 1.0 code default that applies). Every other part
of the tool (emitters, lint, verify) reads this, never the YAML directly.
Dtypes are the strings "fp32", "fp16", "bf16".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from migrate.legacy.origin import Origin

T = TypeVar("T")


@dataclass(frozen=True)
class Setting(Generic[T]):
    value: T
    origin: Origin


@dataclass(frozen=True)
class Finding:
    """Something the user must know: a dropped key, an assumption, a behaviour NeMo 2.0 changes.

    `code` is a stable kebab-case id; `severity` is "warning" (numerics or behaviour differ),
    "notice" (shown like a warning, e.g. which files were composed) or "info"; `origin` points at
    the key responsible when there is one.
    """

    code: str
    severity: str
    message: str
    origin: Origin | None = None


@dataclass(frozen=True)
class LossScaling:
    """NeMo 1.0's fp16 GradScaler (dynamic; growth factor 2, backoff 0.5)."""

    enabled: Setting[bool]
    initial_scale: Setting[float]
    growth_interval: Setting[int]
    hysteresis: Setting[int]
    min_scale: Setting[float | None]  # None: NeMo 1.0 has no floor
    applied: Setting[bool]  # Megatron's grad_scale_func gets the scaler: the loss is scaled in backward


@dataclass(frozen=True)
class Fp8:
    """FP8 as Transformer Engine would run it; only meaningful when `active` is true."""

    requested: Setting[bool]  # model.fp8 as written
    active: Setting[bool]  # FP8 GEMMs really run (TE layers present)
    format: Setting[str | None]  # "e4m3" | "hybrid"
    recipe: Setting[str]  # "delayed" | "tensorwise" | "blockwise" | "mxfp8"
    margin: Setting[int]
    amax_history_len: Setting[int]
    amax_compute_algo: Setting[str]
    reduce_amax: Setting[bool]
    wgrad: Setting[bool]
    dot_product_attention: Setting[bool]
    multi_head_attention: Setting[bool]
    params: Setting[bool]
    interval: Setting[int]
    first_last_layers_bf16: Setting[bool]
    num_layers_at_start_in_bf16: Setting[int]
    num_layers_at_end_in_bf16: Setting[int]


@dataclass(frozen=True)
class PrecisionSpec:
    source: str
    nemo1_version: str  # the NeMo 1.x semantics applied, e.g. "1.23" or "2.x"
    code_path: Setting[str]  # "legacy" | "mcore"
    transformer_engine: Setting[bool]
    trainer_precision: Setting[str]  # dtype the trainer plugin was built for
    compute_dtype: Setting[str]  # model dtype (model.precision wins)
    megatron_amp_o2: Setting[bool]
    optimizer: Setting[str | None]
    amp_mode: Setting[str]  # "O1" (fp32 weights + autocast), "O2" (half weights), "fp32"
    params_dtype: Setting[str]
    pipeline_dtype: Setting[str]
    grad_reduce_dtype: Setting[str]
    loss_scaling: LossScaling
    fp8: Fp8
    gradient_clip_val: Setting[float | None]  # 0.0: no clipping; None: not decided by this file
    fsdp: Setting[bool]
    fp16_lm_cross_entropy: Setting[bool]
    grad_allreduce_chunk_size_mb: Setting[int] | None
    findings: tuple[Finding, ...] = field(default=())
    # What kind of run this is and which NeMo 1.x rules and trainer builder were applied, each with why.
    role: Setting[str] = Setting("training", Origin.default("a NeMo 1.0 training config"))
    release: Setting[str] = Setting("1.23", Origin.default("NeMo 1.23 (default)"))
    trainer_builder: Setting[str] = Setting("gpt", Origin.default("MegatronTrainerBuilder"))
    run: str | None = None  # the run's name in a file holding several (e.g. "actor")
    composition: str | None = None  # which files Hydra's defaults list merged (Composition.summary())
    peft: Setting[bool] = Setting(False, Origin.default("no model.peft"))  # adapters on a frozen base model
    precision_plugin: Setting[str] = Setting("none", Origin.default("no precision plugin"))  # Lightning plugin class

    @property
    def clipping_known(self) -> bool:
        """False when the file does not decide gradient clipping (no trainer; Aligner value set at launch)."""
        return self.gradient_clip_val.value is not None

    def summary(self) -> str:
        """One line on what the legacy run did, for the header of every target's output."""
        fp8 = self.fp8
        if fp8.active.value:
            fp8_text = f"FP8 {fp8.format.value} ({fp8.recipe.value} scaling)"
        elif fp8.requested.value:
            fp8_text = "FP8 requested but inactive (no Transformer Engine layers)"
        else:
            fp8_text = "no FP8"
        run = f"{self.run}: " if self.run else ""
        return f"{run}{self.compute_dtype.value} {self.amp_mode.value}, {self.code_path.value} Megatron path, {fp8_text}"

    def context_lines(self) -> list[str]:
        """What the header of every target's output says about the legacy run, and which rules read it."""
        lines = [f"Legacy run: {self.summary()}."]
        release = self.release.origin
        lines.append(f"Rules: {release.detail if release.kind in ('default', 'option') else release.describe()}.")
        if self.role.value != "training":
            lines.append(f"Config role: {self.role.value} ({self.role.origin.detail}).")
        if self.trainer_precision.value == "fp16":
            builder = self.trainer_builder
            how = builder.origin.detail if builder.origin.kind in ("default", "option") else builder.origin.describe()
            lines.append(f"fp16 loss scaler as built by the {builder.value} trainer builder: {how}.")
        return lines

    def composition_lines(self, width: int = 96) -> list[str]:
        """The output header's lines on the files Hydra composed into this run (none for one file)."""
        if self.composition is None:
            return []
        return textwrap.wrap(f"Composed by Hydra: {self.composition}.", width, break_on_hyphens=False)

    def settings(self) -> dict[str, Setting[Any]]:
        """Flat view `name -> Setting` (nested groups as `fp8.margin`), for tables and JSON."""
        flat: dict[str, Setting[Any]] = {}
        for name, value in vars(self).items():
            if isinstance(value, Setting):
                flat[name] = value
            elif isinstance(value, (LossScaling, Fp8)):
                prefix = "loss_scaling" if isinstance(value, LossScaling) else "fp8"
                for sub, setting in vars(value).items():
                    flat[f"{prefix}.{sub}"] = setting
        return flat
