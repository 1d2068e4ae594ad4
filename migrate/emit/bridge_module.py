"""Render a BridgePlan as a Python module with libcst, from templates/bridge_mixed_precision.py.

The module binds `mixed_precision` for `ConfigContainer(mixed_precision=...)`: either an explicit
`MixedPrecisionConfig(...)` whose arguments carry their legacy source in trailing comments, or,
when those arguments equal a registered recipe exactly, the recipe's name with the equality
spelled out above it. What Bridge cannot express goes into a REVIEW comment block at the end.
"""

from __future__ import annotations

from functools import cache

import libcst as cst

from migrate import __version__
from migrate.emit import bridge_snapshot as snapshot
from migrate.emit.bridge_plan import BridgePlan, plan_bridge
from migrate.emit.nemo2_module import (
    INDENT,
    NOTES_MARKER,
    _arguments,
    _clean,
    _comment_lines,
    _optimizer_statement,
    _value_node,
)
from migrate.emit.nemo2_plan import Dtype
from migrate.emit.templates import read_template
from migrate.spec import Finding, PrecisionSpec

REVIEW_MARKER = "# nemo-migrate: REVIEW - not expressible in Megatron Bridge or changed behaviour"


def _docstring(spec: PrecisionSpec) -> str:
    source = _clean(spec.source).replace("\\", "/").replace('"', "'")
    return "\n".join(
        [
            (
                f"Megatron Bridge {snapshot.BRIDGE_VERSION} precision settings migrated from {source} by "
                f"nemo-migrate {__version__}."
            ),
            "",
            *(_clean(line).replace("\\", "/").replace('"', "'") for line in spec.context_lines()),
            *(_clean(line).replace("\\", "/").replace('"', "'") for line in spec.composition_lines()),
            "Only precision settings are migrated: parallelism, optimizer, data and model settings are not.",
            "Use: ConfigContainer(mixed_precision=mixed_precision, ...). Bridge's setup() then overwrites these",
            "fields on the model, optimizer and DDP configs, including values set there directly.",
        ]
    )


class _Fill(cst.CSTTransformer):
    def __init__(self, spec: PrecisionSpec, plan: BridgePlan) -> None:
        self.spec = spec
        self.plan = plan

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString) -> cst.SimpleString:
        if updated.value == '"""HEADER"""':
            return updated.with_changes(value='"""' + _docstring(self.spec) + '\n"""')
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Name) and updated.func.value == "MixedPrecisionConfig":
            return updated.with_changes(
                args=_arguments(self.plan.arguments),
                whitespace_before_args=cst.ParenthesizedWhitespace(
                    first_line=cst.TrailingWhitespace(newline=cst.Newline()),
                    indent=True,
                    last_line=cst.SimpleWhitespace(INDENT),
                ),
            )
        return updated


def _source(value: object) -> str:
    return cst.Module(body=[]).code_for_node(_value_node(value))


def _recipe_assignment(plan: BridgePlan, statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """`mixed_precision = "<recipe>"`, preceded by the fields the recipe sets and where each comes from."""
    assert plan.recipe is not None
    lines = [
        f"# {plan.recipe}() registered in Megatron Bridge {snapshot.BRIDGE_VERSION} sets exactly what this config",
        "# needs (every other field keeps its default), so it equals MixedPrecisionConfig(",
    ]
    for argument in plan.arguments:
        lines.append(f"#     {argument.name}={_source(argument.value)},  <- {_clean(argument.origin.describe())}")
    lines.append("# )")
    assign = statement.body[0]
    assert isinstance(assign, cst.Assign)
    return statement.with_changes(
        body=[assign.with_changes(value=cst.SimpleString(f'"{plan.recipe}"'))],
        leading_lines=[*statement.leading_lines, *(cst.EmptyLine(comment=cst.Comment(line)) for line in lines)],
    )


@cache
def _template() -> cst.Module:
    return cst.parse_module(read_template("bridge_mixed_precision.py"))


def render_bridge_module(spec: PrecisionSpec, plan: BridgePlan) -> str:
    module = _template().visit(_Fill(spec, plan))
    docstring, imports, assignment = module.body
    if plan.recipe is not None:
        body = [docstring, _recipe_assignment(plan, assignment)]
    else:
        body = [docstring, imports, assignment]
        if any(isinstance(a.value, Dtype) for a in plan.arguments):
            torch_import = cst.parse_statement("import torch\n").with_changes(leading_lines=[cst.EmptyLine()])
            body = [docstring, torch_import, imports.with_changes(leading_lines=[]), assignment]
    body.extend(_optimizer_statement(plan))
    review = [f for f in plan.findings if f.severity == "warning"]
    notes = [f for f in plan.findings if f.severity != "warning"]
    footer: list[cst.EmptyLine] = []
    if review:
        footer += _comment_lines(REVIEW_MARKER, review)
    if notes:
        footer += _comment_lines(NOTES_MARKER, notes)
    return module.with_changes(body=body, footer=footer).code


def render_bridge(spec: PrecisionSpec) -> tuple[str, tuple[Finding, ...]]:
    """The Megatron Bridge module for `spec` and the findings to report (the CLI's entry point)."""
    plan = plan_bridge(spec)
    return render_bridge_module(spec, plan), plan.findings
