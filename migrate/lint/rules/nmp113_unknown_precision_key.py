"""NMP113: an `fp8_*` or precision-looking key NeMo does not read, with a did-you-mean."""

from __future__ import annotations

import difflib
from functools import lru_cache

from migrate.legacy.layout import MODEL_PRECISION_KEYS
from migrate.lint.rule import Rule

# Keys read by NeMo 1.0 / Megatron-core (by TransformerConfig field name on the mcore path) or by
# NeMo-based forks in the corpus of shipped configs; none of them is a typo.
KNOWN_KEYS = MODEL_PRECISION_KEYS | {
    "fp8_output_proj", "fp8_quantizer_factory", "fp8_param_gather", "fp8_activation_input_store",
    "fp32_residual_connection", "fsdp_grad_reduce_dtype", "fsdp_set_buffer_dtype", "mcore_bert", "mcore_t5",
    "fp4", "fp4_recipe", "fp4_param", "activation_func_fp8_input_store", "enable_cg_fp8_weight_caching",
}
# What a near-miss is compared with: the keys that change numerics when misspelt.
PRECISION_KEYS = sorted(k for k in MODEL_PRECISION_KEYS if k not in ("mcore_gpt", "fsdp"))
# Only keys containing one of these are compared (difflib over every key of a config is slow).
_MARKERS = ("fp8", "fp16", "bf16", "amp", "prec", "hyst", "engine", "amax", "reduce", "recipe", "wgrad", "first", "layers")


@lru_cache(maxsize=4096)
def _suggestion(key: str) -> str | None:
    if not any(marker in key.lower() for marker in _MARKERS):
        return None
    lowered = {k.lower(): k for k in PRECISION_KEYS}
    if key.lower() in lowered:
        return lowered[key.lower()]
    match = difflib.get_close_matches(key, PRECISION_KEYS, n=1, cutoff=0.85)
    return match[0] if match else None


def check(ctx):
    section = ctx.config.section(ctx.layout.model) if ctx.layout.model else ctx.data
    if not isinstance(section, dict):
        return
    for key in section:
        if not isinstance(key, str) or key in KNOWN_KEYS:
            continue
        suggestion = _suggestion(key)
        if suggestion is None and not key.startswith("fp8_"):
            continue
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        yield ctx.at_key(ctx.model_key(key), f"{key!r} is not a precision key NeMo reads; it has no effect{hint}")
    trainer = ctx.config.section(ctx.layout.trainer) if ctx.layout.has_trainer else None
    for key in trainer or ():
        if isinstance(key, str) and key != "precision" and difflib.get_close_matches(key, ["precision"], cutoff=0.8):
            yield ctx.at_key(ctx.layout.trainer_key(key), f"{key!r} is not a trainer setting; it has no effect (did you mean 'precision'?)")


RULE = Rule(
    code="NMP113",
    name="unknown-precision-key",
    severity="warning",
    kind="legacy",
    summary="A misspelt or unknown precision key is silently ignored",
    explanation=(
        "NeMo 1.0 reads its precision keys with `cfg.get(name, default)`, so a misspelt key is never an "
        "error: the default applies and the setting you wrote has no effect. `megatron_amp_02` (digit zero) "
        "instead of `megatron_amp_O2` appears in shipped configs. Keys starting with `fp8_` that neither "
        "NeMo nor Megatron-core defines are reported too."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_02: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n",
    bad_at=((4, 3),),
    check=check,
)
