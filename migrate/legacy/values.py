"""Typed reads of legacy values, strict where NeMo 1.0 would silently misread them.

Each reader takes a RawValue and either returns a plain value or raises InputError at the key.
"""

from __future__ import annotations

import difflib
import math
from typing import Any

from migrate.errors import InputError, Location, shortened, shown
from migrate.legacy.interpolation import Unknown
from migrate.legacy.reader import RawValue

# NeMo 1.0 `torch_dtype_from_precision` (nemo/collections/nlp/parts/utils_funcs.py, v1.23.0; unchanged
# at r2.5.0) accepts exactly these; the builder's plugin choice uses the same lists.
PRECISION_DTYPES: dict[Any, str] = {
    16: "fp16",
    "16": "fp16",
    "16-mixed": "fp16",
    "bf16": "bf16",
    "bf16-mixed": "bf16",
    32: "fp32",
    "32": "fp32",
    "32-true": "fp32",
}
# Values PyTorch Lightning accepts but NeMo 1.0 rejects (semantics notes, section 1.2).
REJECTED_PRECISIONS: dict[Any, str] = {
    64: "NeMo 1.0 cannot build a model in float64 (torch_dtype_from_precision raises)",
    "64": "NeMo 1.0 cannot build a model in float64 (torch_dtype_from_precision raises)",
    "64-true": "NeMo 1.0 cannot build a model in float64 (torch_dtype_from_precision raises)",
    "bf16-true": "NeMo 1.0 rejects 'bf16-true' (PyTorch Lightning 2.0 does not know it and "
    "torch_dtype_from_precision raises); use bf16 with megatron_amp_O2: True",
    "16-true": "NeMo 1.0 rejects '16-true' (PyTorch Lightning 2.0 does not know it and "
    "torch_dtype_from_precision raises); use 16 with megatron_amp_O2: True",
}
# Spellings of optimizer/communication dtypes (model.optim.grad_sync_dtype, optim.dtype).
DTYPE_NAMES: dict[Any, str] = {
    "fp32": "fp32",
    "float32": "fp32",
    "float": "fp32",
    "32": "fp32",
    32: "fp32",
    "torch.float32": "fp32",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "16": "fp16",
    16: "fp16",
    "torch.float16": "fp16",
    "bf16": "bf16",
    "bfloat16": "bf16",
    "torch.bfloat16": "bf16",
}


INVALID_PRECISION = "NMP106"
REFUSED = "NMP100"


def _refusal(raw: RawValue, path: str, message: str, code: str = REFUSED) -> InputError:
    """A value NeMo 1.0 would refuse (or that cannot be evaluated), at its key, with the rule that owns it."""
    return InputError(Location(path, raw.origin.line, raw.origin.col), message, code)


def _name(raw: RawValue) -> str:
    return raw.origin.key or "value"


def require_known(raw: RawValue, path: str) -> Any:
    if isinstance(raw.value, Unknown):
        raise _refusal(
            raw, path,
            f"{_name(raw)} = {shortened(raw.value.expression)} cannot be resolved ({raw.value.reason}); "
            "the result depends on it",
        )
    return raw.value


def as_bool(raw: RawValue, path: str) -> bool:
    value = require_known(raw, path)
    if value is None:
        return False  # `cfg.get(key, False)` returns None, which NeMo treats as false
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    hint = ""
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        hint = " (NeMo 1.0 would treat any non-empty string as true; wrap env values in ${oc.decode:...})"
    raise _refusal(raw, path, f"{_name(raw)} must be a boolean, got {shown(value)}{hint}")


def as_int(raw: RawValue, path: str, minimum: int | None = None) -> int:
    value = require_known(raw, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise _refusal(raw, path, f"{_name(raw)} must be an integer, got {shown(value)}")
    if minimum is not None and value < minimum:
        raise _refusal(raw, path, f"{_name(raw)} must be >= {minimum}, got {shown(value)}")
    return int(value)


def as_float(raw: RawValue, path: str, positive: bool = False, finite: bool = True) -> float:
    value = require_known(raw, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refusal(raw, path, f"{_name(raw)} must be a number, got {shown(value)}")
    if finite and not math.isfinite(value):
        raise _refusal(raw, path, f"{_name(raw)} must be a finite number, got {shown(value)}")
    if positive and value <= 0:
        raise _refusal(raw, path, f"{_name(raw)} must be > 0, got {shown(value)}")
    return float(value)


def as_choice(raw: RawValue, path: str, choices: tuple[str, ...]) -> str:
    value = require_known(raw, path)
    if not isinstance(value, str) or value not in choices:
        raise _refusal(
            raw, path,
            f"{_name(raw)} must be one of {', '.join(repr(c) for c in choices)}, got {shown(value)}"
            + did_you_mean(value, choices),
        )
    return value


def did_you_mean(value: Any, choices: Any) -> str:
    text = str(value)
    if len(text) > 64:  # nothing that long is a typo of a short choice (and difflib is quadratic)
        return ""
    match = difflib.get_close_matches(text, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def as_precision(raw: RawValue, path: str) -> str:
    """A precision value NeMo 1.0 accepts, as a dtype; anything else is a located error."""
    value = require_known(raw, path)
    key = value.strip() if isinstance(value, str) else value
    if isinstance(key, bool) or not isinstance(key, (int, float, str)):
        raise _refusal(raw, path, f"{_name(raw)} must be a precision such as bf16, got {shown(value)}", INVALID_PRECISION)
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    if key in PRECISION_DTYPES:
        return PRECISION_DTYPES[key]
    if key in REJECTED_PRECISIONS:
        raise _refusal(raw, path, f"{_name(raw)}: {REJECTED_PRECISIONS[key]}", INVALID_PRECISION)
    accepted = ["16", "16-mixed", "bf16", "bf16-mixed", "32", "32-true"]
    raise _refusal(
        raw, path,
        f"{_name(raw)}: {shown(value)} is not a precision NeMo 1.0 accepts "
        f"({', '.join(accepted)}){did_you_mean(value, accepted)}",
        INVALID_PRECISION,
    )


def as_dtype(raw: RawValue, path: str) -> str:
    value = require_known(raw, path)
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, (int, str)) and not isinstance(key, bool) and key in DTYPE_NAMES:
        return DTYPE_NAMES[key]
    raise _refusal(
        raw, path,
        f"{_name(raw)}: unknown dtype {shown(value)} (expected fp32, bf16 or fp16){did_you_mean(value, DTYPE_NAMES)}",
    )
