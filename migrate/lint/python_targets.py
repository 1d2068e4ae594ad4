"""The Python classes the lint reads calls of, and the keywords each one accepts.

Kept free of libcst so that importing the rules never imports it.
"""

from __future__ import annotations

from migrate.target_api.bridge import BRIDGE_MODULES
from migrate.target_api.bridge import FIELDS as BRIDGE_API_FIELDS
from migrate.target_api.nemo2 import PLUGIN_MODULES, SIGNATURES, TRAINER_MODULES

# The classes whose calls the Python rules read -> the modules that export each.
PRECISION_CALLS = {
    "MegatronMixedPrecision": PLUGIN_MODULES,
    "MixedPrecisionConfig": BRIDGE_MODULES,
    "Trainer": TRAINER_MODULES,
}
# Words a file must contain for any Python rule to apply: files without them are not parsed.
TRIGGER_WORDS = tuple(PRECISION_CALLS)

# MegatronMixedPrecision keywords of any NeMo 2.x release (fp4/fp4_recipe from 2.6); the rules use
# the --target-nemo release's own set (`accepted_keywords`).
PLUGIN_KEYWORDS = frozenset().union(*(set(s) for s in SIGNATURES.values()))
# Megatron Bridge MixedPrecisionConfig dataclass fields (the Bridge release the plan writes for).
BRIDGE_FIELDS = frozenset(BRIDGE_API_FIELDS)
KEYWORDS = {"MegatronMixedPrecision": PLUGIN_KEYWORDS, "MixedPrecisionConfig": BRIDGE_FIELDS}
# NeMo 1.0 YAML names people carry over, and what to write instead (per class).
_FP8_FORMAT = {"fp8_hybrid": "use fp8='hybrid'", "fp8_e4m3": "use fp8='e4m3'"}
LEGACY_HINTS = {
    "MegatronMixedPrecision": _FP8_FORMAT | {
        "megatron_amp_O2": "NeMo 2.0 always keeps half-precision weights with fp32 main parameters; drop it",
        "native_amp_init_scale": "use fp16_initial_loss_scale",
        "native_amp_growth_interval": "use fp16_loss_scale_window",
        "hysteresis": "use fp16_hysteresis",
        "fp8_interval": "removed: Transformer Engine ignores it; drop it",
    },
    "MixedPrecisionConfig": _FP8_FORMAT | {
        "megatron_amp_O2": "Megatron Bridge always keeps fp32 main parameters; drop it",
        "native_amp_init_scale": "use initial_loss_scale",
        "native_amp_growth_interval": "use loss_scale_window",
        "fp8_interval": "not a MixedPrecisionConfig field: set it on the model provider, or drop it",
        "precision": "use bf16=True or fp16=True, or a recipe name such as 'bf16_mixed'",
    },
}
# fp8_recipe when the call does not pass one.
DEFAULT_FP8_RECIPE = {"MegatronMixedPrecision": "delayed", "MixedPrecisionConfig": BRIDGE_API_FIELDS["fp8_recipe"]}


def accepted_keywords(name: str, target_nemo: str) -> frozenset[str]:
    """The keywords `name` accepts: the plugin's per NeMo release, Bridge's dataclass fields."""
    if name == "MegatronMixedPrecision":
        return frozenset(SIGNATURES[target_nemo])
    return KEYWORDS.get(name, frozenset())


def releases_accepting(keyword: str) -> tuple[str, ...]:
    """The NeMo 2.x releases whose MegatronMixedPrecision takes `keyword`."""
    return tuple(release for release, signature in SIGNATURES.items() if keyword in signature)


def is_not_literal(value) -> bool:
    return type(value).__name__ == "NotLiteral"
