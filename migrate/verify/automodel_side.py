"""Migrated side for NeMo AutoModel: what the merged YAML blocks train with (AutoModel 0.7.0).

AutoModel's precision lives in `model.torch_dtype` (storage), `distributed.mp_policy` (FSDP2
compute and reduce dtypes), `distributed.autocast_dtype` and the `fp8:` block, which runs
torchao float8 training (dynamic tensorwise or rowwise scaling), never Transformer Engine's delayed
scaling. Semantics from the research notes sections 4.1, 4.3, 4.4 and 5.1. The FP8 rows therefore
describe a different recipe; `approximate.compare_approximate` reports them as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.errors import InputError, Location
from migrate.legacy.yamlsource import YamlDocument, parse_yaml
from migrate.verify.effective import Effective, Entry

AUTOMODEL_VERSION = "0.7.0"

# AutoModel's dtype_from_str (shared/utils.py): note that "fp32" and "fp16" are NOT accepted.
_DTYPE_NAMES = {
    "bf16": "bf16", "bfloat16": "bf16",
    "float32": "fp32", "float": "fp32",
    "float16": "fp16", "half": "fp16",
    "float64": "fp64",
}

# torchao Float8LinearConfig.from_recipe_name: name -> (format as Megatron names it, wgrad GEMM in FP8, class label)
TORCHAO_RECIPES = {
    "tensorwise": ("hybrid", True, "torchao Float8Linear tensorwise (dynamic per-tensor)"),
    "rowwise": ("e4m3", True, "torchao Float8Linear rowwise (dynamic per-row)"),
    "rowwise_with_gw_hp": ("e4m3", False, "torchao Float8Linear rowwise_with_gw_hp (dynamic per-row)"),
}
NOT_DELAYED = "torchao computes each scale from the tensor's current amax: no such setting"


@dataclass(frozen=True)
class AutoModelConfig:
    """The parsed YAML and the torchao recipe name its fp8 block selects (None: FP8 off)."""

    document: YamlDocument
    torchao_recipe: str | None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def read_automodel(text: str, path: str) -> AutoModelConfig:
    document = parse_yaml(text, path)
    if not isinstance(document.data, dict) or not any(k in document.data for k in ("model", "distributed", "fp8")):
        raise InputError(Location(path), "no AutoModel model/distributed/fp8 section found: nothing to verify")
    fp8 = _get(document.data, "fp8")
    recipe = None
    if isinstance(fp8, dict) and fp8.get("enabled") is True:
        recipe = fp8.get("recipe_name") or "tensorwise"
    return AutoModelConfig(document, None if recipe is None else str(recipe))


class _Semantics:
    def __init__(self, config: AutoModelConfig) -> None:
        self.doc = config.document
        self.config = config
        self.entries: dict[str, Entry] = {}
        self.errors: list[str] = []

    def where(self, *keys: str) -> str:
        span = self.doc.key_spans.get(tuple(keys))
        return f"{'.'.join(keys)} (line {span.line})" if span else ".".join(keys)

    def set(self, key: str, value: Any, why: str) -> None:
        self.entries[key] = Entry(value, why)

    def dtype(self, keys: tuple[str, ...], default: str | None, default_why: str) -> tuple[str | None, str]:
        value = _get(self.doc.data, *keys)
        if value is None:
            return default, default_why
        name = str(value).removeprefix("torch.")
        if name not in _DTYPE_NAMES:
            self.errors.append(f"{'.'.join(keys)}: {value!r} is not a dtype AutoModel's dtype_from_str accepts (KeyError)")
            return "invalid", self.where(*keys)
        return _DTYPE_NAMES[name], f"{self.where(*keys)}: {value}"

    def build(self) -> Effective:
        data = self.doc.data
        storage_key = ("model", "dtype") if _get(data, "model", "dtype") is not None else ("model", "torch_dtype")
        if _get(data, *storage_key) == "auto":
            storage, storage_why = "bf16", f"{self.where(*storage_key)}: auto (bf16 for a new model, else the checkpoint's dtype)"
        else:
            storage, storage_why = self.dtype(storage_key, "bf16", "model.torch_dtype omitted: auto (bf16 for a new model)")
        strategy = _get(data, "distributed", "strategy") or "fsdp2"
        if strategy == "fsdp2":
            policy = ("distributed", "mp_policy")
            param, param_why = self.dtype(policy + ("param_dtype",), "bf16", f"FSDP2Config default param_dtype bfloat16 (AutoModel {AUTOMODEL_VERSION})")
            reduce, reduce_why = self.dtype(policy + ("reduce_dtype",), "fp32", f"FSDP2Config default reduce_dtype float32 (AutoModel {AUTOMODEL_VERSION})")
        else:
            param, param_why = storage, f"distributed.strategy {strategy}: mp_policy is not read; weights stay in {storage_why}"
            reduce, reduce_why = storage, param_why
        autocast, autocast_why = self.dtype(("distributed", "autocast_dtype"), None, "")
        compute = autocast or param
        self.set("precision_plugin", "FSDP2 MixedPrecisionPolicy", "AutoModel's distributed.mp_policy (no Lightning plugin)")
        self.set("precision", compute, autocast_why if autocast else param_why)
        if compute == "fp32":
            mode, mode_why = "fp32", "fp32 compute"
        elif autocast and param == "fp32":
            mode, mode_why = "O1", f"fp32 weights with torch.autocast({autocast}) ({autocast_why})"
        elif storage == "fp32":
            mode, mode_why = "O2", f"fp32 storage ({storage_why}) all-gathered as {param} for compute: the optimizer updates fp32"
        elif self._master_weights():
            mode, mode_why = "O2", f"{storage} storage with TE FusedAdam master_weights: true"
        else:
            mode, mode_why = f"{storage} weights without fp32 master", f"{storage_why}; the optimizer keeps no fp32 copy"
        self.set("amp_mode", mode, mode_why)
        self.set("params_dtype", param, param_why + " (the dtype the weights compute in)")
        self.set("pipeline_dtype", None, "AutoModel has no pipeline p2p dtype setting")
        self.set("grad_reduce_dtype", reduce, reduce_why)
        self._fp8()
        self.set("loss_scaler", "none", "AutoModel's recipes set no loss scaler (no GradScaler for FSDP2)")
        return Effective("migrated", self.entries, tuple(self.errors), source=self.doc.path)

    def _master_weights(self) -> bool:
        optimizer = _get(self.doc.data, "optimizer") or {}
        target = str(optimizer.get("_target_", "")) if isinstance(optimizer, dict) else ""
        return target.endswith("FusedAdam") and optimizer.get("master_weights") is True

    def _fp8(self) -> None:
        recipe = self.config.torchao_recipe
        if recipe is None:
            enabled = _get(self.doc.data, "fp8", "enabled")
            why = f"{self.where('fp8', 'enabled')}: {enabled}" if enabled is not None else "no fp8 block: FP8 off"
            self.set("fp8_format", None, why + ": FP8 off")
            return
        where = self.where("fp8", "recipe_name") if _get(self.doc.data, "fp8", "recipe_name") else "fp8.recipe_name omitted: tensorwise"
        if recipe not in TORCHAO_RECIPES:
            self.errors.append(f"fp8.recipe_name {recipe!r}: torchao's from_recipe_name rejects it (AssertionError)")
            self.set("fp8_format", recipe, where)
            return
        fmt, wgrad, label = TORCHAO_RECIPES[recipe]
        formats = "E4M3 forward, E5M2 gradients" if fmt == "hybrid" else "E4M3 for inputs, weights and gradients"
        self.set("fp8_format", fmt, f"{where}: {formats}")
        self.set("recipe_class", label, where)
        for key in ("margin", "amax_history_len", "amax_compute_algo", "reduce_amax", "fp8_mha"):
            self.set(key, None, NOT_DELAYED)
        self.set("fp8_dpa", False, "torchao converts nn.Linear layers only: attention stays in high precision")
        self.set("fp8_wgrad", wgrad, f"{where}: weight-gradient GEMM {'in FP8' if wgrad else 'not quantised'}")
        gather = _get(self.doc.data, "fp8", "enable_fsdp_float8_all_gather") is True and recipe == "tensorwise"
        self.set("fp8_params", gather, f"{self.where('fp8', 'enable_fsdp_float8_all_gather')} (FP8 weight all-gather; tensorwise only)")
        fqns = _get(self.doc.data, "fp8", "filter_fqns") or []
        self.set("first_last_layers_bf16", False, f"filter_fqns {fqns}: those modules stay high precision (no layer-count setting)")


def automodel_effective(config: AutoModelConfig) -> Effective:
    return _Semantics(config).build()
