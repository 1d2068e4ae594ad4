"""One vocabulary: the NMP code every finding is reported with, by convert, lint and verify alike.

The semantics and the planners describe what they find with stable kebab-case names
(`o1-autocast`); this table says which lint rule owns each name. The rule modules
(migrate/lint/rules/) document the codes, give their examples and are what `nemo-migrate rule CODE`
explains, so a convert warning can be looked up, selected, ignored and `# noqa`-ed like a lint
diagnostic. A name not in the table is reported by NMP123 (a warning: the target cannot express or
drops a setting) or NMP130 (an informational note).
"""

from __future__ import annotations

UNREADABLE_INPUT = "NMP002"  # a file that cannot be read or parsed
REFUSED = "NMP100"  # a config NeMo 1.0 itself refuses, no more specific rule

FINDING_CODES: dict[str, str] = {
    # NeMo 1.0 YAML: settings that silently do nothing or differ from what they say
    "fp8-both-formats": "NMP102",
    "fp8-without-te": "NMP103",
    "loss-scaling-key-unused": "NMP105",
    "model-precision-differs": "NMP107",
    "model-precision-overwritten": "NMP107",
    "fp8-interval-dropped": "NMP111",
    "fp8-params-without-fp8": "NMP112",
    "megatron-amp-o2-typo": "NMP113",
    # migration hazards
    "o1-autocast": "NMP121",
    "reduce-amax-false": "NMP122",
    "fp16-lm-cross-entropy": "NMP123",
    "grad-allreduce-chunk": "NMP123",
    "grad-reduce-dtype": "NMP123",
    "loss-scaling-dropped": "NMP123",
    "fsdp": "NMP123",
    "tp-only-amax-red": "NMP123",
    "embedding-grads-fp32": "NMP123",
    "o2-with-autocast": "NMP123",
    "fp16-loss-scaling": "NMP124",
    "loss-scale-floor": "NMP124",
    "no-loss-scaler": "NMP124",
    "lightning-amp-scaler": "NMP124",
    "automodel-fp16": "NMP124",
    "gradient-clipping": "NMP125",
    "env-default-used": "NMP126",
    "clipping-unknown": "NMP126",
    "model-dtype-from-checkpoint": "NMP126",
    "harness-runner": "NMP126",
    "release-hint": "NMP126",
}
WARNING_DEFAULT = "NMP123"
INFO_DEFAULT = "NMP130"


def code_for(name: str, severity: str) -> str:
    """The NMP code of a finding named `name` with this severity."""
    code = FINDING_CODES.get(name)
    if code is None:
        return WARNING_DEFAULT if severity == "warning" else INFO_DEFAULT
    if code == WARNING_DEFAULT and severity != "warning":
        return INFO_DEFAULT  # NMP123 owns what the target drops; its informational notes are NMP130's
    return code
