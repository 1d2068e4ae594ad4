"""Render a Plan of a Python target as a module, with libcst, from its template in `emit/templates/`.

NeMo 2.x: `plugin = nl.MegatronMixedPrecision(...)`; Megatron Bridge: `mixed_precision =
MixedPrecisionConfig(...)`, or, when those arguments equal a registered recipe exactly, the recipe's
name with the equality spelled out above it. Each argument gets a trailing comment naming its
source; what the target cannot express goes into a marked comment block at the end. The output is
deterministic and a fixed point of the tool.

Each template is parsed once and its statements are replaced (docstring, `name = Call()`): libcst's
`parse_template_module` would parse it again for every module, more than twice this rendering's
time and a fifth of a whole conversion (`python bench/bench_render.py`). A statement assembled from
nodes is filled by `parse_template_statement`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import libcst as cst
from libcst.helpers import parse_template_statement

from migrate import __version__
from migrate.emit.code import INDENT, clean, findings_footer, value_node
from migrate.nemo_releases import nemo_label
from migrate.plan.python import Argument, Plan
from migrate.spec import PrecisionSpec
from migrate.target_api.dtype import Dtype

_EMPTY = cst.Module(body=[])


@dataclass(frozen=True)
class _Rendering:
    """What one target's module says around the plan's arguments."""

    template: str  # file name in emit/templates/: a docstring, the import(s), `name = Call()`
    title: Callable[[Plan, str | None], str]  # the docstring's first line, after "... precision settings"
    usage: tuple[str, ...]  # the docstring's last lines: how to use the module
    review_marker: str
    names_target: bool = False  # a "Target: ..., from ..." line (NeMo: the release is a choice)


_RENDERINGS = {
    "nemo2": _Rendering(
        "nemo2_plugin.py",
        lambda plan, container: nemo_label(plan.target, container),
        (
            "Use: nl.Trainer(plugins=[plugin], ...) and no precision= argument on the Trainer. In a NeMo-Run",
            "recipe: recipe.trainer.plugins = run.Config(nl.MegatronMixedPrecision, <the same arguments>), which",
            "`nemo-migrate convert OLD.yaml --into recipe_script.py` writes for you.",
        ),
        "# nemo-migrate: REVIEW - not expressible in NeMo 2.0 or changed behaviour",
        names_target=True,
    ),
    "bridge": _Rendering(
        "bridge_mixed_precision.py",
        lambda plan, container: f"Megatron Bridge {plan.target}",
        (
            "Use: ConfigContainer(mixed_precision=mixed_precision, ...). Bridge's setup() then overwrites these",
            "fields on the model, optimizer and DDP configs, including values set there directly.",
        ),
        "# nemo-migrate: REVIEW - not expressible in Megatron Bridge or changed behaviour",
    ),
}


def _docstring_text(text: str) -> str:
    """A line for inside the module docstring: one printable line, no backslash or double quote."""
    return clean(text).replace("\\", "/").replace('"', "'")


def _docstring(rendering: _Rendering, spec: PrecisionSpec, plan: Plan, container: str | None, target_from: str) -> str:
    label = rendering.title(plan, container)
    source = _docstring_text(spec.source)
    lines = [f"{label} precision settings migrated from {source} by nemo-migrate {__version__}.", ""]
    if rendering.names_target:
        chosen = "the default (--target-nemo picks another)" if target_from == "the default" else f"from {target_from}"
        lines.append(_docstring_text(f"Target: {label}, {chosen}."))
    lines += [_docstring_text(line) for line in (*spec.context_lines(), *spec.composition_lines())]
    lines.append("Only precision settings are migrated: parallelism, optimizer, data and model settings are not.")
    lines += rendering.usage
    return '"""' + "\n".join(lines) + '\n"""'


def _trailing(comment: str, last: bool) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(
            whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("# " + clean(comment)), newline=cst.Newline()
        ),
        indent=True,
        last_line=cst.SimpleWhitespace("" if last else INDENT),
    )


def _arguments(arguments: tuple[Argument, ...]) -> list[cst.Arg]:
    """One `name=value,  # origin` per line."""
    return [
        cst.Arg(
            keyword=cst.Name(argument.name),
            value=value_node(argument.value),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
            comma=cst.Comma(whitespace_after=_trailing(argument.origin.describe(), index == len(arguments) - 1)),
        )
        for index, argument in enumerate(arguments)
    ]


def _filled_call(assignment: cst.SimpleStatementLine, plan: Plan) -> cst.SimpleStatementLine:
    """The template's `name = Call()` with the plan's arguments, one per line."""
    assign = assignment.body[0]
    assert isinstance(assign, cst.Assign) and isinstance(assign.value, cst.Call)
    call = assign.value.with_changes(
        args=_arguments(plan.arguments),
        whitespace_before_args=cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(newline=cst.Newline()),
            indent=True,
            last_line=cst.SimpleWhitespace(INDENT),
        ),
    )
    return assignment.with_changes(body=[assign.with_changes(value=call)])


def _recipe_assignment(plan: Plan, assignment: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    """`name = "<recipe>"`, preceded by the fields the recipe sets and where each comes from."""
    assert plan.recipe is not None
    lines = [
        f"# {plan.recipe}() registered in Megatron Bridge {plan.target} sets exactly what this config",
        "# needs (every other field keeps its default), so it equals MixedPrecisionConfig(",
    ]
    for argument in plan.arguments:
        code = _EMPTY.code_for_node(value_node(argument.value))
        lines.append(f"#     {argument.name}={code},  <- {clean(argument.origin.describe())}")
    lines.append("# )")
    assign = assignment.body[0]
    assert isinstance(assign, cst.Assign)
    return assignment.with_changes(
        body=[assign.with_changes(value=cst.SimpleString(f'"{plan.recipe}"'))],
        leading_lines=[*assignment.leading_lines, *(cst.EmptyLine(comment=cst.Comment(line)) for line in lines)],
    )


def _optimizer_statement(plan: Plan) -> list[cst.SimpleStatementLine]:
    """`optimizer_config_overrides = {...}`: the Megatron-core OptimizerConfig fields the plan sets."""
    if not plan.optimizer_overrides:
        return []
    overrides = cst.Dict([
        cst.DictElement(cst.SimpleString(f'"{a.name}"'), value_node(a.value)) for a in plan.optimizer_overrides
    ])
    statement = parse_template_statement("optimizer_config_overrides = {overrides}\n", overrides=overrides)
    assert isinstance(statement, cst.SimpleStatementLine)
    comment = "; ".join(a.origin.describe() for a in plan.optimizer_overrides)
    return [
        statement.with_changes(
            leading_lines=[
                cst.EmptyLine(),
                cst.EmptyLine(
                    comment=cst.Comment("# Megatron-core OptimizerConfig fields that keep the legacy behaviour:")
                ),
                cst.EmptyLine(comment=cst.Comment("# OptimizerConfig(..., **optimizer_config_overrides)")),
            ],
            trailing_whitespace=cst.TrailingWhitespace(
                whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("# " + clean(comment)), newline=cst.Newline()
            ),
        )
    ]


@cache
def _template(name: str) -> cst.Module:
    """A template shipped inside the package (read through importlib.resources, installed or not)."""
    text = files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
    return cst.parse_module(text)  # libcst trees are immutable: safe to share


def render_python_module(spec: PrecisionSpec, plan: Plan, container: str | None = None,
                         target_from: str = "the default") -> str:
    """The module text. `container` is the NeMo Framework tag the NeMo release was named by, if any,
    and `target_from` where that choice came from (the header says both)."""
    rendering = _RENDERINGS[plan.api.kind]
    template = _template(rendering.template)
    docstring, *imports, assignment = template.body
    header = cst.SimpleString(_docstring(rendering, spec, plan, container, target_from))
    docstring = docstring.with_changes(body=[docstring.body[0].with_changes(value=header)])
    if plan.recipe is not None:
        body = [docstring, _recipe_assignment(plan, assignment)]
    else:
        body = [docstring, *imports, _filled_call(assignment, plan)]
        if any(isinstance(a.value, Dtype) for a in plan.arguments):
            torch_import = cst.parse_statement("import torch\n").with_changes(leading_lines=[cst.EmptyLine()])
            body[1:2] = [torch_import, body[1].with_changes(leading_lines=[])]  # one block with the first import
    body.extend(_optimizer_statement(plan))
    return template.with_changes(body=body, footer=findings_footer(plan.findings, rendering.review_marker)).code
