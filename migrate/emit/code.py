"""Pieces every renderer writes: plan values as libcst expressions, and comments that stay comments.

Text from a config (paths, keys, messages) reaches the output only through `clean` (one printable
line), and values only through `value_node`, whose strings come from the plan's validated sets.
"""

from __future__ import annotations

import re
import textwrap

import libcst as cst

from migrate.codes import code_for
from migrate.spec import Finding
from migrate.target_api.dtype import Dtype

INDENT = "    "
WIDTH = 100
NOTES_MARKER = "# nemo-migrate: notes"


def clean(text: str) -> str:
    """One printable line: comments and docstrings must never break out of themselves."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def value_node(value: object) -> cst.BaseExpression:
    """A plan value (str, int, float, bool, None, Dtype) as an expression."""
    if isinstance(value, Dtype):
        return cst.Attribute(value=cst.Name("torch"), attr=cst.Name(value.attribute))
    if isinstance(value, bool) or value is None:
        return cst.Name(str(value))
    if isinstance(value, int):
        return cst.Integer(str(value))
    if isinstance(value, float):
        return cst.Float(repr(value))
    if isinstance(value, str):
        return cst.SimpleString('"' + value + '"')  # values come from validated sets (migrate.plan)
    raise TypeError(f"cannot render {value!r}")


def comment_lines(marker: str, findings: list[Finding]) -> list[cst.EmptyLine]:
    """A blank line, the marker, then one wrapped `# - NMPxxx [code] where: message` item per finding."""
    lines = [cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(marker))]
    for finding in findings:
        place = finding.origin.where() if finding.origin else None
        where = f"{place}: " if place else ""
        text = clean(f"{code_for(finding.code, finding.severity)} [{finding.code}] {where}{finding.message}")
        wrapped = textwrap.wrap(text, width=WIDTH - 4, break_long_words=False, break_on_hyphens=False)
        for number, part in enumerate(wrapped):
            lines.append(cst.EmptyLine(comment=cst.Comment(("# - " if number == 0 else "#   ") + part)))
    return lines


def findings_footer(findings: tuple[Finding, ...], review_marker: str) -> list[cst.EmptyLine]:
    """The REVIEW block (warnings), then the notes block (the rest)."""
    review = [f for f in findings if f.severity == "warning"]
    notes = [f for f in findings if f.severity != "warning"]
    footer: list[cst.EmptyLine] = []
    if review:
        footer += comment_lines(review_marker, review)
    if notes:
        footer += comment_lines(NOTES_MARKER, notes)
    return footer
