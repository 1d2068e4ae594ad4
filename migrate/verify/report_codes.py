"""The NMP code and severity of each finding verify shows, the same as `convert` reports for the fact.

verify's structural rows say "limitation" (the target cannot express a legacy setting) or, for
AutoModel, "approximate" (torchao FP8 replaces Transformer Engine's recipe); its numeric check lists
what the expressible twin replaced. `convert` reports each of these facts as a warning with a finding
name, and migrate.codes says which lint rule owns the name, so every report format of verify (table,
`-q` line, JSON) carries the code that `nemo-migrate rule`, `--select` and `# noqa` know.
"""

from __future__ import annotations

from migrate.codes import code_for

LIMITATION = "limitation"  # migrate.verify.structural's status
APPROXIMATE = "approximate"  # migrate.verify.approximate's status
# What the target cannot express is a warning wherever it is reported: convert prints it (and writes it
# into the REVIEW block) as one.
SEVERITY = "warning"
# AutoModel's FP8 is torchao dynamic scaling: convert's warning for it stands behind the "approximate" rows.
TORCHAO_FINDING = "automodel-fp8-torchao"
# What the expressible twin replaced (migrate.verify.twin), by the start of its description.
PROJECTION_FINDINGS = (("weights:", "o1-autocast"), ("loss scaler:", "loss-scale-floor"), ("reduce_amax:", "reduce-amax-false"))
# NeMo 1.0's GradScaler rule (no floor, hysteresis re-armed by every clean step), seen under overflow.
SCALER_RULE_FINDING = "loss-scale-floor"


def finding(name: str) -> tuple[str, str, str]:
    """(NMP code, finding name, severity) of a finding verify shows."""
    return code_for(name, SEVERITY), name, SEVERITY


def row_finding(row) -> tuple[str, str, str] | None:
    """The finding a structural row reports, or None for rows that are equal, differ or do not apply."""
    if row.status == LIMITATION and row.code:
        return finding(row.code)
    if row.status == APPROXIMATE:
        return finding(row.code or TORCHAO_FINDING)
    return None


def projection_finding(text: str) -> tuple[str, str, str] | None:
    """The finding behind one of the twin's replacements ("weights: O1 ... -> O2 ...")."""
    for prefix, name in PROJECTION_FINDINGS:
        if text.startswith(prefix):
            return finding(name)
    return None


def json_fields(found: tuple[str, str, str] | None) -> dict[str, str | None]:
    """`code`, `name` and `severity` as lint's JSON records name them (null when there is no finding)."""
    code, name, severity = found if found is not None else (None, None, None)
    return {"code": code, "name": name, "severity": severity}


def codes(findings) -> str:
    """`NMP121, NMP124`: the distinct codes, in the order found."""
    return ", ".join(dict.fromkeys(found[0] for found in findings if found is not None))
