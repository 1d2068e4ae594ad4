"""The canonical precision spec: the *effective* NeMo 1.0 behaviour of one config.

Every field is a Setting: the value NeMo 1.0 would actually use plus where it came from (a YAML
key and line, a `--set` override, or the NeMo 1.0 code default that applies). Every other part
of the tool (the planners and renderers, lint, verify) reads this, never the YAML directly.
Dtypes are the strings "fp32", "fp16", "bf16".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from migrate.errors import Location

T = TypeVar("T")


@dataclass(frozen=True)
class Origin:
    """Provenance of one effective setting.

    kind is "key" (read from the YAML), "override" (--set), "option" (another command-line option or
    setting, `detail` names it), "default" (NeMo 1.0 code default, `detail` says which) or "derived"
    (computed from other settings, `detail` says how).
    `path` is the file the key was read from when Hydra composed the run from several files;
    None means the config that was converted.
    """

    kind: str
    key: str | None = None
    line: int | None = None
    col: int | None = None
    detail: str | None = None
    via: str | None = None
    path: str | None = None

    @staticmethod
    def default(detail: str) -> Origin:
        return Origin("default", detail=detail)

    @staticmethod
    def option(detail: str) -> Origin:
        return Origin("option", detail=detail)

    @staticmethod
    def derived(detail: str, key: str | None = None, line: int | None = None) -> Origin:
        return Origin("derived", key=key, line=line, detail=detail)

    @staticmethod
    def derived_from(detail: str, source: Origin) -> Origin:
        """Computed from the setting at `source`: keeps its key and position."""
        return Origin(
            "derived", key=source.key, line=source.line, col=source.col, detail=detail, path=source.path
        )

    def location(self, config_path: str) -> Location:
        """Where to point a message: this origin's file (or `config_path`, the converted one), line, column."""
        return Location(self.path or config_path, self.line, self.col)

    def _place(self) -> str:
        """`model.fp8 (line 12)`, or `key (other.yaml:3)` for a key of another composed file."""
        if self.path:
            return f"{self.key} ({self.path}:{self.line})" if self.line else f"{self.key} ({self.path})"
        return f"{self.key} (line {self.line})" if self.line else str(self.key)

    def where(self) -> str | None:
        """Only the place: `model.fp8 (line 12)`, `--set model.fp8=True`, or None for a code default."""
        if self.kind == "override":
            return f"--set {self.detail}"
        if self.kind == "option":
            return self.detail
        if self.key is None:
            return None
        return self._place()

    def describe(self) -> str:
        """Short text for a trailing comment, e.g. `model.fp8_hybrid (line 212)`."""
        if self.kind == "key":
            text = self._place()
        elif self.kind == "override":
            text = f"--set {self.detail}"
        elif self.kind == "option":
            text = str(self.detail)
        elif self.kind == "default":
            text = f"NeMo 1.0 default: {self.detail}"
        else:
            where = self._place() if self.key and self.line else self.key
            text = f"{where}: {self.detail}" if where else str(self.detail)
        if self.via:
            text += f" via {self.via}"
        return text


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
    # What kind of run this is and which NeMo 1.x rules and trainer builder were applied, each with why
    # (the legacy reader always decides them: no default here).
    role: Setting[str] = field(kw_only=True)
    release: Setting[str] = field(kw_only=True)
    trainer_builder: Setting[str] = field(kw_only=True)
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
