"""Map the spec builder's and planner's Findings (stable kebab codes) to lint Reports.

The semantics live in migrate.legacy.semantics and migrate.emit.nemo2_plan; rules only choose which
finding codes they own. Codes no rule owns are reported by NMP130 (migration-note).
"""

from __future__ import annotations

from collections.abc import Iterator

from migrate.lint.context import LegacyContext
from migrate.lint.rule import Report

# finding code -> rule code that reports it
OWNERS = {
    "fp8-both-formats": "NMP102",
    "fp8-without-te": "NMP103",
    "loss-scaling-key-unused": "NMP105",
    "model-precision-differs": "NMP107",
    "fp8-interval-dropped": "NMP111",
    "fp8-params-without-fp8": "NMP112",
    "megatron-amp-o2-typo": "NMP113",
    "o1-autocast": "NMP121",
    "reduce-amax-false": "NMP122",
    "fp16-lm-cross-entropy": "NMP123",
    "grad-allreduce-chunk": "NMP123",
    "grad-reduce-dtype": "NMP123",
    "loss-scaling-dropped": "NMP123",
    "fsdp": "NMP123",
    "tp-only-amax-red": "NMP123",
    "fp16-loss-scaling": "NMP124",
    "loss-scale-floor": "NMP124",
    "gradient-clipping": "NMP125",
}


# Findings whose message is a fragment about the key ("only matters for precision 16; ..."):
# the key is put in front of them.
_FRAGMENT_CODES = ("nested-precision-key", "fp8-params-without-fp8")


def _message(finding) -> str:
    origin = finding.origin
    fragment = finding.code in _FRAGMENT_CODES or finding.code.endswith(("-ignored", "-unused"))
    if fragment and origin is not None and origin.key and not finding.message.startswith(origin.key):
        return f"{origin.key}: {finding.message}"
    return finding.message


def owner(finding) -> str:
    """The rule that reports a finding; warnings NMP123 owns, its informational ones go to NMP130."""
    code = OWNERS.get(finding.code, "NMP130")
    if code == "NMP123" and finding.severity != "warning":
        return "NMP130"
    return code


def reports_for(ctx: LegacyContext, rule_code: str, fallback: str | None = None) -> Iterator[Report]:
    seen: set[tuple[int, int, str]] = set()
    for finding in ctx.findings():
        if owner(finding) != rule_code:
            continue
        report = ctx.at_origin(finding.origin, _message(finding), fallback)
        key = (report.line, report.col, report.message)
        if key not in seen:  # the plan repeats the spec's findings only once, but be safe
            seen.add(key)
            yield report
