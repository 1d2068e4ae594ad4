"""A torch dtype as generated code names it (`torch.bfloat16`), the value type of dtype arguments."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dtype:
    """A torch dtype in generated code (`torch.bfloat16`)."""

    name: str  # "fp32" | "fp16" | "bf16"

    @property
    def attribute(self) -> str:
        return {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}[self.name]
