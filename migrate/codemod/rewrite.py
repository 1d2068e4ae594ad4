"""Put a Plan's precision plugin into an existing NeMo 2.0 script: text in, text and findings out.

Edits, all in place: update the existing MegatronMixedPrecision call (policy.py decides each user
argument), replace a recipe precision helper by an explicit `run.Config(MegatronMixedPrecision, ...)`,
add the plugin to the trainer / plugins list, or add a `recipe.trainer.plugins = ...` line after a
NeMo recipe; drop `precision=` from the trainer; add imports.
Running it on its own output changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import parse_template_statement
from libcst.metadata import CodeRange

from migrate.codemod import arglist, policy
from migrate.codemod.arglist import NewArg
from migrate.codemod.imports import Imports, insert_imports
from migrate.codemod.locate import Locator, PluginSlot, Recipe, Target, Trainer, keyword_is, locate
from migrate.nemo2 import source_guard
from migrate.nemo2.calls import NotLiteral, Positions, literal_value, parse_python
from migrate.plan.python import Argument, Plan
from migrate.spec import Finding, Origin
from migrate.target_api.dtype import Dtype


@dataclass(frozen=True)
class Rewrite:
    text: str
    findings: tuple[Finding, ...]  # located in the script


def _new_args(arguments: tuple[Argument, ...]) -> list[NewArg]:
    return [NewArg(a.name, a.value, a.origin.describe()) for a in arguments]


class _Edits(cst.CSTTransformer):
    """Replace given original nodes; each edit receives the already-updated node.

    With `within` (the ranges of the edited nodes) only the nodes around them are walked: libcst
    rebuilds every node a transformer visits, and the edits touch a few lines of the file.
    """

    def __init__(self, edits: dict[int, Callable[[cst.CSTNode], cst.CSTNode]],
                 positions: Positions | None = None, within: list[CodeRange] | None = None) -> None:
        self.edits = edits
        self.positions = positions
        self.within = within or []
        self.applied = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.positions is None:
            return True
        where = self.positions.ranges.get(node)
        return where is None or any(_contains(where, edited) for edited in self.within)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        edit = self.edits.get(id(original))
        if edit is None:
            return updated
        self.applied += 1
        return edit(updated)


def _contains(outer: CodeRange, inner: CodeRange) -> bool:
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and (
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)
    )


def apply_edits(module: cst.Module, edits: dict[int, Callable[[cst.CSTNode], cst.CSTNode]],
                nodes: list[cst.CSTNode], positions: Positions) -> cst.Module:
    """`module` with the edits applied, walking only the nodes whose range holds an edited node's."""
    within = [positions[node] for node in nodes]
    pruned = _Edits(edits, positions, within)
    result = module.visit(pruned)
    if pruned.applied == len(edits):
        return result
    return module.visit(_Edits(edits))  # a range that did not nest as expected: walk everything


class _Rewriter:
    def __init__(self, module: cst.Module, path: str, plan: Plan, locator: Locator) -> None:
        self.module = module
        self.path = path
        self.plan = plan
        self.locator = locator
        self.imports = Imports(locator.aliases)
        self.findings: list[Finding] = []
        self.edits: dict[int, Callable[[cst.CSTNode], cst.CSTNode]] = {}
        self.edited: list[cst.CSTNode] = []  # the nodes of `edits`, for their positions
        self.clip_reported = False
        self.unused_imports: list[tuple[str, str, str | None]] = []  # helper imports that may now be unused

    def _edit(self, node: cst.CSTNode, edit: Callable[[cst.CSTNode], cst.CSTNode]) -> None:
        if id(node) not in self.edits:
            self.edited.append(node)
        self.edits[id(node)] = edit

    def note(self, node: cst.CSTNode | None, code: str, message: str, severity: str = "info") -> None:
        origin = None
        if node is not None:
            line, col = self.locator.where(node)
            origin = Origin("derived", line=line, col=col)
        self.findings.append(Finding(code, severity, message, origin))

    def code(self, node: cst.CSTNode) -> str:
        return " ".join(self.module.code_for_node(node).split())

    def _uses_torch(self, values) -> None:
        if any(isinstance(v, Dtype) for v in values):
            self.imports.torch()

    # -- the plugin ----------------------------------------------------------------------------
    def update_plugin(self, slot: PluginSlot) -> None:
        call = slot.node
        skip = 1 if slot.run_form else 0
        wanted = self.plan.kwargs()
        actions: list[tuple[int, str, str]] = []  # (index, action, name)
        present: set[str] = set()
        positional = 0
        for index, arg in enumerate(call.args[skip:], start=skip):
            if arg.star:
                raise self.locator.error(arg, f"the plugin's arguments are built at run time (`{self.code(arg)}`); "
                                         "nemo-migrate does not guess: write them as name=value")
            if arg.keyword is None:
                positional += 1
                if positional > 1:
                    raise self.locator.error(arg, "only precision may be passed positionally to MegatronMixedPrecision")
                name = "precision"
            else:
                name = arg.keyword.value
            present.add(name)
            value = literal_value(arg.value, self.module)
            action = policy.decide(name, value, self.plan)
            if action != "keep" and isinstance(value, NotLiteral):
                raise self.locator.error(
                    arg.value,
                    f"{name}={_short(value.source)} is computed at run time, and the migration needs "
                    f"{name}={'its NeMo 2.0 default' if action == 'remove' else self._code_of(wanted[name])}; "
                    "nemo-migrate does not guess: write a literal there",
                )
            if action == "set":
                self.note(arg, "plugin-argument", f"{name}: {self.code(arg.value)} -> {self._code_of(wanted[name])} "
                          f"({self._origin(name)})")
                self._uses_torch([wanted[name]])
            elif action == "remove":
                self.note(arg, "plugin-argument", f"removed {name}={self.code(arg.value)}: the legacy run used "
                          "NeMo 2.0's default for it")
            if action != "keep":
                actions.append((index, action, name))
        missing = [a for a in self.plan.arguments if a.name not in present]
        self._uses_torch(a.value for a in missing)
        indent = self.locator.relative_indent(call)

        def edit(node: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            args = list(node.args)
            for index, action, name in actions:
                if action == "set":
                    args[index] = args[index].with_changes(value=NewArg(name, wanted[name]).value_node())
            node = node.with_changes(args=args)
            for index, action, _ in sorted(actions, reverse=True):
                if action == "remove":
                    node = arglist.remove_arg(node, index)
            return arglist.append_args(node, _new_args(tuple(missing)), indent)

        if actions or missing:
            self._edit(call, edit)

    def replace_helper(self, slot: PluginSlot) -> None:
        self._uses_torch(a.value for a in self.plan.arguments)
        replacement = arglist.new_call(
            self.imports.run_config(), _new_args(self.plan.arguments), self.locator.relative_indent(slot.node),
            first=self.imports.plugin_class(),
        )
        self.note(slot.node, "recipe-helper", f"replaced {slot.name}() by an explicit MegatronMixedPrecision: the "
                  "helper's values (params_dtype, FP8 and fp8_param_gather settings) are not the legacy run's")
        self._edit(slot.node, lambda node: replacement)
        if isinstance(slot.node.func, cst.Name):
            imported = self.locator.aliases.get(slot.node.func.value, "")
            module, _, name = imported.rpartition(".")
            if module:
                asname = slot.node.func.value if slot.node.func.value != name else None
                self.unused_imports.append((module, name, asname))

    def new_plugin(self, run_form: bool, indent: str, run_func: cst.BaseExpression | None = None) -> cst.Call:
        self._uses_torch(a.value for a in self.plan.arguments)
        args = _new_args(self.plan.arguments)
        if run_form:
            func = run_func if run_func is not None else self.imports.run_config()
            return arglist.new_call(func, args, indent, first=self.imports.plugin_class())
        return arglist.new_call(self.imports.plugin_class(), args, indent)

    def add_to_list(self, target: Target) -> None:
        assert isinstance(target.add_to, cst.List)
        plugin = self.new_plugin(target.add_run_form, target.add_indent)
        self.note(target.add_to, "plugin-added", "added MegatronMixedPrecision to the plugins list")

        def edit(node: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(node, cst.List)
            elements = list(node.elements)
            if not elements:
                return node.with_changes(elements=[cst.Element(plugin)])
            last = elements[-1]
            closing = last.comma if isinstance(last.comma, cst.Comma) else None
            elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            elements.append(cst.Element(plugin, comma=closing if closing is not None else cst.MaybeSentinel.DEFAULT))
            return node.with_changes(elements=elements)

        self._edit(target.add_to, edit)

    def add_to_recipe(self, recipe: Recipe) -> None:
        """`recipe.trainer.plugins = run.Config(nl.MegatronMixedPrecision, ...)` on a new line after the recipe."""
        assert recipe.name is not None and recipe.statement is not None
        plugin = self.new_plugin(True, "")
        line = parse_template_statement("{recipe}.trainer.plugins = {plugin}\n", recipe=cst.Name(recipe.name),
                                        plugin=plugin)
        self.note(recipe.node, "plugin-added", f"added {recipe.name}.trainer.plugins = MegatronMixedPrecision after "
                  f"{recipe.function}(...): it replaces the recipe's own precision plugin, whose values are not the "
                  "legacy run's")
        self._edit(recipe.statement, lambda node: cst.FlattenSentinel([node, line]))

    def later_settings(self, target: Target) -> None:
        """`recipe.trainer.plugins.fp8 = ...` after the plugin would undo the migration: align them too."""
        plugin_sets, trainer_sets = self.locator.later_settings(target)
        wanted = self.plan.kwargs()
        for assign, name in plugin_sets:
            value = literal_value(assign.value, self.module)
            action = policy.decide(name, value, self.plan)
            if action == "keep":
                continue
            new = wanted[name] if action == "set" else policy.default_value(name, self.plan)
            if isinstance(value, NotLiteral):
                raise self.locator.error(assign.value, f"{name} = {_short(value.source)} is computed at run time, and "
                                         f"the migration needs {self._code_of(new)}; nemo-migrate does not guess")
            self._uses_torch([new])
            self.note(assign, "plugin-argument", f"{name}: {self.code(assign.value)} -> {self._code_of(new)}")
            node_value = NewArg(name, new).value_node()
            self._edit(assign, lambda node, node_value=node_value: node.with_changes(value=node_value))
        for assign, name in trainer_sets:
            if name == "precision":
                self.note(assign, "trainer-precision", f"removed the trainer's precision = {self.code(assign.value)}: "
                          "the plugin sets the precision, and Lightning >= 2.1 raises when both are given")
                self._edit(assign, lambda node: cst.RemovalSentinel.REMOVE)
            else:
                self._clip_warning(assign, assign.value)

    # -- the trainer -----------------------------------------------------------------------------
    def trainer(self, trainer: Trainer, add_plugin: cst.Call | None) -> None:
        precision = trainer.kwarg("precision")
        clip = trainer.kwarg("gradient_clip_val")
        if precision is not None:
            self.note(precision, "trainer-precision", f"removed precision={self.code(precision.value)} from the trainer: "
                      "the plugin sets the precision, and Lightning >= 2.1 raises when both are given")
        if clip is not None:
            self._clip_warning(clip, clip.value)
        if precision is None and add_plugin is None:
            return

        def edit(node: cst.CSTNode) -> cst.CSTNode:
            assert isinstance(node, cst.Call)
            index = _keyword_index(node, "precision")
            if index is not None:
                node = arglist.remove_arg(node, index)
            if add_plugin is not None:
                index = _keyword_index(node, "plugins")
                if index is not None:  # plugins=None
                    args = list(node.args)
                    args[index] = args[index].with_changes(value=add_plugin)
                    return node.with_changes(args=args)
                node = arglist.append_args(node, [NewArg("plugins", add_plugin)], self.locator.relative_indent(trainer.node))
            return node

        self._edit(trainer.node, edit)

    def _clip_warning(self, node: cst.CSTNode, value_node: cst.BaseExpression) -> None:
        self.clip_reported = True
        wanted = next((a for a in self.plan.optimizer_overrides if a.name == "clip_grad"), None)
        value = wanted.value if wanted is not None else 1.0
        then = ("OptimizerConfig's default clip_grad=1.0 already matches the legacy run" if value == 1.0 else
                f"set clip_grad={value} in the optimizer's OptimizerConfig (not edited by nemo-migrate)")
        self.note(node, "trainer-gradient-clip", f"gradient_clip_val={self.code(value_node)} on the trainer raises "
                  f"with MegatronMixedPrecision; remove it: {then}", "warning")

    def optimizer(self, anchor: cst.CSTNode | None) -> None:
        for override in self.plan.optimizer_overrides:
            if override.name == "clip_grad" and self.clip_reported:
                continue  # already said with the trainer's gradient_clip_val
            self.note(anchor, "optimizer-override", f"set {override.name}={override.value!r} in the optimizer's "
                      f"OptimizerConfig ({override.origin.describe()}); it is not a plugin argument and "
                      "nemo-migrate does not edit optimizer configs", "warning")

    # -- helpers ----------------------------------------------------------------------------------
    def _code_of(self, value: object) -> str:
        return NewArg("x", value).code()[2:]

    def _origin(self, name: str) -> str:
        return next(a.origin.describe() for a in self.plan.arguments if a.name == name)

    def run(self, target: Target) -> str | None:
        """The edited text, or None when nothing needs to change."""
        slot = target.slot
        added: cst.Call | None = None
        if slot is not None and slot.kind == "plugin":
            self.update_plugin(slot)
        elif slot is not None:
            self.replace_helper(slot)
        elif isinstance(target.add_to, cst.List):
            self.add_to_list(target)
        elif target.recipe is not None:
            self.add_to_recipe(target.recipe)
        elif target.trainer is not None:
            run_func = target.trainer.node.func if target.trainer.run_form else None
            # a one-line trainer call is exploded to one argument per line: the plugin sits one level deeper
            one_line = bool(target.trainer.node.args) and not arglist.is_multiline(target.trainer.node)
            indent = target.add_indent + (arglist.INDENT if one_line else "")
            added = self.new_plugin(target.trainer.run_form, indent, run_func)
            self.note(target.trainer.node, "plugin-added", "added plugins= with MegatronMixedPrecision to the trainer")
        if target.trainer is not None:
            self.trainer(target.trainer, added)
        self.later_settings(target)
        self.optimizer(target.trainer.node if target.trainer else slot.node if slot else
                       target.recipe.node if target.recipe else target.add_to)
        if not self.edits:
            return None
        module = apply_edits(self.module, self.edits, self.edited, self.locator.positions)
        if self.unused_imports:
            module = _drop_unused_imports(module, self.unused_imports)
        return insert_imports(module, self.imports.statements()).code


def _drop_unused_imports(module: cst.Module, imports: list[tuple[str, str, str | None]]) -> cst.Module:
    """Remove the import of a replaced recipe helper when nothing else uses it (libcst scope analysis)."""
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    context = CodemodContext()
    for module_name, name, asname in imports:
        RemoveImportsVisitor.remove_unused_import(context, module_name, name, asname)
    return RemoveImportsVisitor(context).transform_module(module)


def _keyword_index(call: cst.Call, name: str) -> int | None:
    return next((index for index, arg in enumerate(call.args) if keyword_is(arg, name)), None)


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:57] + "..."


def rewrite_script(text: str, path: str, plan: Plan, trainer_line: int | None = None) -> Rewrite:
    """The script with the plan's plugin written in, and what the user must know about the edit."""
    with source_guard.tree_work():
        module = parse_python(text, path)
        target, locator = locate(module, path, text, trainer_line)
        rewriter = _Rewriter(module, path, plan, locator)
        edited = rewriter.run(target)
    return Rewrite(text if edited is None else edited, tuple(rewriter.findings))
