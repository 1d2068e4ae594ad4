"""Render a Plan as a NeMo 2.0 Python module with libcst, from templates/nemo2_plugin.py.

Each argument gets a trailing comment naming its source; what NeMo 2.0 cannot express goes into
a marked comment block at the end. The output is deterministic and a fixed point of the tool.
"""

from __future__ import annotations

import re
import textwrap
from functools import cache

import libcst as cst

from migrate import __version__
from migrate.codes import code_for
from migrate.emit.nemo2_plan import Argument, Dtype, Plan
from migrate.emit.templates import read_template
from migrate.nemo_releases import nemo_label
from migrate.spec import Finding, PrecisionSpec

INDENT = "    "
_WIDTH = 100
REVIEW_MARKER = "# nemo-migrate: REVIEW - not expressible in NeMo 2.0 or changed behaviour"
NOTES_MARKER = "# nemo-migrate: notes"


def _clean(text: str) -> str:
    """One printable line: comments and docstrings must never break out of themselves."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def _value_node(value: object) -> cst.BaseExpression:
    if isinstance(value, Dtype):
        return cst.Attribute(value=cst.Name("torch"), attr=cst.Name(value.attribute))
    if isinstance(value, bool) or value is None:
        return cst.Name(str(value))
    if isinstance(value, int):
        return cst.Integer(str(value))
    if isinstance(value, float):
        return cst.Float(repr(value))
    if isinstance(value, str):
        return cst.SimpleString('"' + value + '"')  # values come from validated sets (nemo2_plan)
    raise TypeError(f"cannot render {value!r}")


def _trailing(comment: str, last: bool) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "),
            comment=cst.Comment("# " + _clean(comment)),
            newline=cst.Newline(),
        ),
        indent=True,
        last_line=cst.SimpleWhitespace("" if last else INDENT),
    )


def _arguments(arguments: tuple[Argument, ...]) -> list[cst.Arg]:
    nodes = []
    for index, argument in enumerate(arguments):
        nodes.append(
            cst.Arg(
                keyword=cst.Name(argument.name),
                value=_value_node(argument.value),
                equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                comma=cst.Comma(
                    whitespace_after=_trailing(argument.origin.describe(), index == len(arguments) - 1)
                ),
            )
        )
    return nodes


def _comment_lines(marker: str, findings: list[Finding]) -> list[cst.EmptyLine]:
    lines = [cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(marker))]
    for finding in findings:
        place = finding.origin.where() if finding.origin else None
        where = f"{place}: " if place else ""
        text = _clean(f"{code_for(finding.code, finding.severity)} [{finding.code}] {where}{finding.message}")
        wrapped = textwrap.wrap(text, width=_WIDTH - 4, break_long_words=False, break_on_hyphens=False)
        for number, part in enumerate(wrapped):
            lines.append(cst.EmptyLine(comment=cst.Comment(("# - " if number == 0 else "#   ") + part)))
    return lines


def _docstring(spec: PrecisionSpec, plan: Plan, container: str | None, target_from: str) -> str:
    source = _clean(spec.source).replace("\\", "/").replace('"', "'")
    label = nemo_label(plan.target, container)
    chosen = "the default (--target-nemo picks another)" if target_from == "the default" else f"from {target_from}"
    return "\n".join(
        [
            f"{label} precision settings migrated from {source} by nemo-migrate {__version__}.",
            "",
            _clean(f"Target: {label}, {chosen}.").replace("\\", "/").replace('"', "'"),
            *(_clean(line).replace("\\", "/").replace('"', "'") for line in spec.context_lines()),
            *(_clean(line).replace("\\", "/").replace('"', "'") for line in spec.composition_lines()),
            "Only precision settings are migrated: parallelism, optimizer, data and model settings are not.",
            "Use: nl.Trainer(plugins=[plugin], ...) and no precision= argument on the Trainer. In a NeMo-Run",
            "recipe: recipe.trainer.plugins = run.Config(nl.MegatronMixedPrecision, <the same arguments>), which",
            "`nemo-migrate convert OLD.yaml --into recipe_script.py` writes for you.",
        ]
    )


class _Fill(cst.CSTTransformer):
    def __init__(self, spec: PrecisionSpec, plan: Plan, container: str | None, target_from: str) -> None:
        self.spec = spec
        self.plan = plan
        self.container = container
        self.target_from = target_from

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        if updated.value == '"""HEADER"""':
            return updated.with_changes(value='"""' + _docstring(self.spec, self.plan, self.container, self.target_from) + '\n"""')
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = updated.func
        if isinstance(func, cst.Attribute) and func.attr.value == "MegatronMixedPrecision":
            return updated.with_changes(
                args=_arguments(self.plan.arguments),
                whitespace_before_args=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(newline=cst.Newline()),
                    indent=True,
                    last_line=cst.SimpleWhitespace(INDENT),
                ),
            )
        return updated


def _optimizer_statement(plan: Plan) -> list[cst.SimpleStatementLine]:
    if not plan.optimizer_overrides:
        return []
    entries = ", ".join(f'"{a.name}": {a.value!r}' for a in plan.optimizer_overrides)
    comment = "; ".join(a.origin.describe() for a in plan.optimizer_overrides)
    statement = cst.parse_statement(f"optimizer_config_overrides = {{{entries}}}\n")
    assert isinstance(statement, cst.SimpleStatementLine)
    return [
        statement.with_changes(
            leading_lines=[
                cst.EmptyLine(),
                cst.EmptyLine(
                    comment=cst.Comment(
                        "# Megatron-core OptimizerConfig fields that keep the legacy behaviour:"
                    )
                ),
                cst.EmptyLine(comment=cst.Comment("# OptimizerConfig(..., **optimizer_config_overrides)")),
            ],
            trailing_whitespace=cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  "),
                comment=cst.Comment("# " + _clean(comment)),
                newline=cst.Newline(),
            ),
        )
    ]


@cache
def _template() -> cst.Module:
    return cst.parse_module(read_template("nemo2_plugin.py"))  # libcst trees are immutable: safe to share


def render_nemo2_module(spec: PrecisionSpec, plan: Plan, container: str | None = None, target_from: str = "the default") -> str:
    """The module text; `container` is the NeMo Framework tag the target release was named by, if any,
    and `target_from` where that choice came from (the header says both)."""
    module = _template()
    module = module.visit(_Fill(spec, plan, container, target_from))
    body = list(module.body)
    if any(isinstance(a.value, Dtype) for a in plan.arguments):
        body.insert(1, cst.parse_statement("import torch\n").with_changes(leading_lines=[cst.EmptyLine()]))
        # keep one blank line between `import torch` and the nemo import
        body[2] = body[2].with_changes(leading_lines=[])
    body.extend(_optimizer_statement(plan))
    review = [f for f in plan.findings if f.severity == "warning"]
    notes = [f for f in plan.findings if f.severity != "warning"]
    footer: list[cst.EmptyLine] = []
    if review:
        footer += _comment_lines(REVIEW_MARKER, review)
    if notes:
        footer += _comment_lines(NOTES_MARKER, notes)
    return module.with_changes(body=body, footer=footer).code
