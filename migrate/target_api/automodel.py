"""NeMo AutoModel facts the AutoModel YAML is written and merged by (research notes section 4).

AutoModel 0.7.0 changed the mp_policy defaults and its `dtype_from_str` rejects the spellings
"fp32"/"fp16", so dtypes are written "float32"/"bfloat16"/"float16"; a recipe may spell the same
dtype any way `dtype_from_str` accepts.
"""

from __future__ import annotations

AUTOMODEL_VERSION = "0.7"
DTYPE_NAMES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
# Spellings AutoModel's dtype_from_str accepts ("fp32" and "fp16" are not among them).
DTYPE_SPELLINGS = {
    "float32": ("float32", "float", "torch.float32", "torch.float"),
    "bfloat16": ("bfloat16", "bf16", "torch.bfloat16", "torch.bf16"),
    "float16": ("float16", "half", "torch.float16", "torch.half"),
}
