"""Stand-ins for what a machine without a GPU lacks while the installed NeMo / Megatron-core code runs.
Each records what the real code hands it; none decides a value that is read back as a setting.

* `RecordingTE`: a `transformer_engine` module holding only the recipe classes (`DelayedScaling`,
  `Float8CurrentScaling`, `Float8BlockScaling`, `MXFP8BlockScaling`), `Format`, `fp8_autocast` and
  `FP8GlobalStateManager`. Building a recipe records the keyword arguments Megatron-core or NeMo
  passed. Arguments not passed keep Transformer Engine's own defaults, listed in `TE_DELAYED_DEFAULTS`
  (TransformerEngine `common/recipe/__init__.py`, `DelayedScaling`, unchanged from v1.6 to v2.20).
* `Recorder`: a class that records its constructor arguments; used for Megatron-core's loss scalers
  and optimizer wrappers, whose constructors allocate CUDA tensors.

Standard library only (plus whatever installed stack calls them): these modules also run inside the
conformance environments, where nothing else of nemo-migrate is installed.
"""

from __future__ import annotations

import contextlib
import enum
import sys
import types
from typing import Any

TE_DELAYED_DEFAULTS = {
    "margin": 0,
    "fp8_format": "HYBRID",
    "amax_history_len": 1024,
    "amax_compute_algo": "max",
    "reduce_amax": True,
    "fp8_dpa": False,
    "fp8_mha": False,
    "override_linear_precision": (False, False, False),
}


class Recorder:
    """Records the arguments it was built with; `name` is the class it stands in for."""

    name = "Recorder"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs


def recorder(name: str, defaults: dict[str, Any] | None = None) -> type:
    return type(name, (Recorder,), {"name": name, "defaults": dict(defaults or {})})


class Format(enum.Enum):
    E4M3 = "E4M3"
    HYBRID = "HYBRID"


class RecordingTE:
    """A `transformer_engine` stand-in with the recipe module only; `install()` registers it."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.autocast_calls: list[dict[str, Any]] = []
        self.recipes: list[Recorder] = []  # every recipe built, in order
        self.root = types.ModuleType("transformer_engine")
        self.root.__version__ = version
        common, recipe = types.ModuleType("transformer_engine.common"), types.ModuleType("transformer_engine.common.recipe")
        recipe.Format = Format
        built = self.recipes

        def kept(cls: type) -> type:
            def __init__(obj, *args: Any, **kwargs: Any) -> None:
                Recorder.__init__(obj, *args, **kwargs)
                built.append(obj)

            return type(cls.__name__, (cls,), {"__init__": __init__})

        recipe.DelayedScaling = kept(recorder("DelayedScaling", TE_DELAYED_DEFAULTS))
        for name in ("Float8CurrentScaling", "Float8BlockScaling", "MXFP8BlockScaling"):
            setattr(recipe, name, kept(recorder(name)))
        pytorch, fp8 = types.ModuleType("transformer_engine.pytorch"), types.ModuleType("transformer_engine.pytorch.fp8")
        fp8.FP8GlobalStateManager = type("FP8GlobalStateManager", (), {"FP8_PARAMETERS": False})
        pytorch.fp8 = fp8
        pytorch.fp8_autocast = self._autocast
        common.recipe, self.root.common, self.root.pytorch = recipe, common, pytorch
        self.modules = {m.__name__: m for m in (self.root, common, recipe, pytorch, fp8)}

    def _autocast(self, **kwargs: Any):
        self.autocast_calls.append(kwargs)
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def installed(self):
        """Register the stand-in in sys.modules for the duration (for `import transformer_engine`
        inside a function); the modules imported before keep seeing no Transformer Engine."""
        saved = {name: sys.modules.get(name) for name in self.modules}
        sys.modules.update(self.modules)
        try:
            yield self
        finally:
            for name, module in saved.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module

    def is_min_version(self, version: str, check_equality: bool = True) -> bool:
        from packaging.version import Version

        ours, theirs = Version(self.version), Version(version)
        return ours >= theirs if check_equality else ours > theirs

    def get_version(self):
        from packaging.version import Version

        return Version(self.version)


def jsonable(value: Any) -> Any:
    """Plain JSON values: dtypes as fp32/fp16/bf16, enums by name, tuples as lists."""
    try:
        import torch

        names = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16", torch.float64: "fp64"}
        if isinstance(value, torch.dtype):
            return names.get(value, str(value))
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def error_text(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
