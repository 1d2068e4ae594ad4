"""NMP103: FP8 requested but no Transformer Engine layers are built, so it silently does nothing."""

from __future__ import annotations

from migrate.lint.findings import reports_for
from migrate.lint.rule import Rule


def check(ctx):
    yield from reports_for(ctx, "NMP103", fallback=ctx.model_key("fp8"))


RULE = Rule(
    code="NMP103",
    name="fp8-without-transformer-engine",
    severity="warning",
    kind="legacy",
    summary="`fp8: True` has no effect because the model is built without Transformer Engine layers",
    explanation=(
        "On the legacy path (`mcore_gpt: False`) NeMo 1.0 builds Transformer Engine layers only with "
        "`transformer_engine: True`; otherwise `fp8_autocast` wraps plain PyTorch layers and no GEMM runs in "
        "FP8. The NeMo 1.0 code inside NeMo 2.x containers does the same on the mcore path. The job trains "
        "in bf16/fp16 while the config says FP8, and NeMo 2.0 (which always builds TE layers) would really "
        "turn FP8 on after a migration. Set `transformer_engine: True` if FP8 was meant, or `fp8: False`."
    ),
    bad="trainer:\n  precision: bf16\nmodel:\n  mcore_gpt: False\n  transformer_engine: False\n  fp8: True\n  fp8_hybrid: True\n",
    good="trainer:\n  precision: bf16\nmodel:\n  mcore_gpt: False\n  transformer_engine: True\n  fp8: True\n  fp8_hybrid: True\n",
    bad_at=((5, 3),),
    check=check,
)
