"""Find the one place in a training script where the precision plugin is (or must be) written.

Recognised: `nl.Trainer(...)` / `Trainer(...)` / `run.Config(nl.Trainer, ...)`, a
`MegatronMixedPrecision(...)` or `run.Config(nl.MegatronMixedPrecision, ...)` call, a NeMo recipe
precision helper (`bf16_mixed()`), NeMo-Run assignments `recipe.trainer.plugins = ...`, and, when
none of these is there, a NeMo recipe `recipe = llm.<model>.pretrain_recipe(...)` (or
`finetune_recipe`) whose trainer gets its plugin by a new `recipe.trainer.plugins = ...` line.
Anything that would need a guess (two trainers, two plugins, two recipes, plugins built at run
time) is an InputError naming the lines; `--trainer-line` picks one.

Node checks here and in rewrite.py are isinstance tests, not `libcst.matchers`: that module (a
generated matcher for every node type) is not imported by libcst itself, and importing it costs
nearly as much CPU as all the other imports of an `--into` process
(`python -X importtime -c 'import libcst.matchers'`; README, Benchmarks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from migrate.errors import InputError, Location
from migrate.nemo2.calls import CallFinder, CallSite, Positions, dotted_name, import_aliases, mentions, qualified_name
from migrate.target_api.nemo2 import PLUGIN_MODULES, RECIPE_FUNCTION, RECIPE_HELPERS, TRAINER_MODULES

HINT = "choose one with --trainer-line LINE"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Trainer:
    node: cst.Call
    line: int
    col: int
    end_line: int
    run_form: bool  # run.Config(nl.Trainer, ...)

    def kwarg(self, name: str) -> cst.Arg | None:
        return next((arg for arg in self.node.args if keyword_is(arg, name)), None)


@dataclass(frozen=True)
class PluginSlot:
    """An existing precision plugin expression: updated ("plugin") or replaced ("helper")."""

    node: cst.Call
    kind: str
    line: int
    col: int
    end_line: int
    run_form: bool
    name: str  # what the user called, for messages: "MegatronMixedPrecision", "bf16_mixed"


@dataclass(frozen=True)
class Recipe:
    """`name = llm.<model>.pretrain_recipe(...)`: the statement that builds a NeMo-Run recipe."""

    node: cst.Call
    line: int
    col: int
    end_line: int
    function: str  # for messages: "llm.llama3_8b.pretrain_recipe"
    name: str | None = None  # the variable the recipe is bound to
    statement: cst.SimpleStatementLine | None = None  # the line that binds it


@dataclass(frozen=True)
class Target:
    """What to edit. Without a slot, a new plugin goes into `add_to` (the trainer call or a list),
    or, for a recipe, into a new `recipe.trainer.plugins = ...` line after the recipe's statement."""

    trainer: Trainer | None
    slot: PluginSlot | None
    add_to: cst.Call | cst.List | None = None
    add_run_form: bool = False
    add_indent: str = ""
    recipe: Recipe | None = None


class _Scan(CallFinder):
    """One pass: trainer and plugin calls (the CallFinder part), recipe helper calls, `X.plugins = value`
    and other attribute assignments, `name = value` bindings, and the statement each expression of a
    scanned line belongs to (for indentation).

    A statement line that names nothing imported (`mentions`) holds none of those calls: only its
    assignments are recorded and its expressions are not walked. On scripts of any size this leaves
    the few lines around the trainer, instead of every node of the file.
    """

    def __init__(self, module: cst.Module, aliases: dict[str, str], positions: Positions, lines: list[str]) -> None:
        targets = {"MegatronMixedPrecision": PLUGIN_MODULES, "Trainer": TRAINER_MODULES}
        super().__init__(module, aliases, targets)
        self.positions = positions
        self.lines = lines
        self.mentions = mentions(aliases, targets)  # recipe helpers are `nemo.` names too
        self.helpers: list[tuple[cst.Call, str]] = []
        self.recipes: list[cst.Call] = []
        self.plugin_assignments: list[cst.Assign] = []
        self.attribute_assignments: list[cst.Assign] = []
        self.bindings: dict[str, list[cst.BaseExpression]] = {}
        self.statement_of: dict[int, cst.CSTNode] = {}
        self._statements: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self._statements.append(node)
        elif self._statements and isinstance(node, cst.BaseExpression):
            self.statement_of[id(node)] = self._statements[-1]
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self._statements and self._statements[-1] is original_node:
            self._statements.pop()
        super().on_leave(original_node)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
        if self._mentioned(node) or any(self._assigns_plugins(small) for small in node.body):
            return True
        for small in node.body:
            if isinstance(small, cst.Assign):
                self.visit_Assign(small)
        return False

    def _mentioned(self, node: cst.CSTNode) -> bool:
        where = self.positions[node]
        return self.mentions.search("\n".join(self.lines[where.start.line - 1 : where.end.line])) is not None

    @staticmethod
    def _assigns_plugins(small: cst.BaseSmallStatement) -> bool:
        if not isinstance(small, cst.Assign) or len(small.targets) != 1:
            return False
        target = small.targets[0].target
        return isinstance(target, cst.Attribute) and target.attr.value == "plugins"

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        name = qualified_name(node.func, self.aliases) or ""
        short = name.rpartition(".")[2]
        if short in RECIPE_HELPERS and name.startswith("nemo.") and not node.args:
            self.helpers.append((node, short))
        elif short.endswith("_recipe") and RECIPE_FUNCTION.fullmatch(name):
            self.recipes.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Attribute) and target.attr.value == "plugins":
            self.plugin_assignments.append(node)
        elif isinstance(target, cst.Attribute):
            self.attribute_assignments.append(node)
        elif isinstance(target, cst.Name):
            self.bindings.setdefault(target.value, []).append(node.value)


class Locator:
    def __init__(self, module: cst.Module, path: str, text: str) -> None:
        self.module = module
        self.path = path
        self.lines = _LINE_BREAK.split(text)  # as the parser counts lines (not str.splitlines)
        self.positions = Positions(module)
        self.aliases = aliases = import_aliases(module)
        scan = _Scan(module, aliases, self.positions, self.lines)
        module.visit(scan)
        sites = scan.sites(self.positions)
        self.trainers = [self._trainer(site) for site in sites if site.name == "Trainer"]
        self.statement_of = scan.statement_of
        self.bindings = scan.bindings
        self.plugin_assignments = scan.plugin_assignments
        self.attribute_assignments = scan.attribute_assignments
        slots = [self._slot(site.node, "plugin", site.via_run_config, site.name) for site in sites if site.name != "Trainer"]
        slots += [self._slot(node, "helper", True, name) for node, name in scan.helpers]
        self.slots = sorted(slots, key=lambda s: (s.line, s.col))
        self.by_node = {id(s.node): s for s in self.slots}
        self.recipes = [self._recipe(node) for node in scan.recipes]

    # -- positions -------------------------------------------------------------------------
    def where(self, node: cst.CSTNode) -> tuple[int, int]:
        start = self.positions[node].start
        return start.line, start.column + 1

    def error(self, node: cst.CSTNode | None, message: str) -> InputError:
        if node is None:
            return InputError(Location(self.path), message)
        line, col = self.where(node)
        return InputError(Location(self.path, line, col), message)

    def relative_indent(self, node: cst.CSTNode) -> str:
        """Indentation of the line `node` starts on, relative to its statement's block."""
        line = self.positions[node].start.line
        text = self.lines[line - 1] if line - 1 < len(self.lines) else ""
        own = text[: len(text) - len(text.lstrip())]
        statement = self.statement_of.get(id(node))
        block = self.positions[statement].start.column if statement is not None else 0
        return own[block:]

    def _trainer(self, site: CallSite) -> Trainer:
        return Trainer(site.node, site.line, site.col, site.end_line, site.via_run_config)

    def _slot(self, node: cst.Call, kind: str, run_form: bool, name: str) -> PluginSlot:
        position = self.positions[node]
        return PluginSlot(node, kind, position.start.line, position.start.column + 1, position.end.line, run_form, name)

    def _recipe(self, node: cst.Call) -> Recipe:
        position = self.positions[node]
        function = " ".join(self.module.code_for_node(node.func).split())
        recipe = Recipe(node, position.start.line, position.start.column + 1, position.end.line, function)
        statement = self.statement_of.get(id(node))
        if not isinstance(statement, cst.SimpleStatementLine):
            return recipe
        for small in statement.body:
            if isinstance(small, cst.Assign) and small.value is node and len(small.targets) == 1:
                target = small.targets[0].target
            elif isinstance(small, cst.AnnAssign) and small.value is node:
                target = small.target
            else:
                continue
            if isinstance(target, cst.Name):
                return Recipe(node, recipe.line, recipe.col, recipe.end_line, function, target.value, statement)
        return recipe

    # -- selection ---------------------------------------------------------------------------
    def locate(self, trainer_line: int | None) -> Target:
        if trainer_line is not None:
            return self._at_line(trainer_line)
        if len(self.trainers) > 1:
            lines = _lines(t.line for t in self.trainers)
            raise self.error(self.trainers[1].node, f"{len(self.trainers)} trainers are constructed (lines {lines}); {HINT}")
        if self.trainers:
            return self._in_trainer(self.trainers[0])
        if len(self.recipes) > 1:
            lines = _lines(r.line for r in self.recipes)
            raise self.error(self.recipes[1].node, f"{len(self.recipes)} NeMo recipes are built (lines {lines}); {HINT}")
        return self._without_trainer()

    def _at_line(self, line: int) -> Target:
        trainers = [t for t in self.trainers if t.line <= line <= t.end_line]
        if trainers:
            return self._in_trainer(max(trainers, key=lambda t: (t.line, t.col)))
        slots = [s for s in self.slots if s.line <= line <= s.end_line]
        if slots:
            slot = max(slots, key=lambda s: (s.line, s.col))
            return Target(self._trainer_of(slot), slot)
        recipes = [r for r in self.recipes if r.line <= line <= r.end_line]
        if recipes:
            return self._in_recipe(max(recipes, key=lambda r: (r.line, r.col)))
        raise InputError(Location(self.path, line),
                         "--trainer-line: no nl.Trainer(...), precision plugin call or NeMo recipe on this line")

    def _trainer_of(self, slot: PluginSlot) -> Trainer | None:
        around = [t for t in self.trainers if t.line <= slot.line <= t.end_line]
        if around:
            return max(around, key=lambda t: (t.line, t.col))
        return self.trainers[0] if len(self.trainers) == 1 else None

    def _outside_trainers(self) -> list[PluginSlot]:
        return [s for s in self.slots if not any(t.line <= s.line <= t.end_line for t in self.trainers)]

    def _in_trainer(self, trainer: Trainer) -> Target:
        plugins = trainer.kwarg("plugins")
        if plugins is not None and not (isinstance(plugins.value, cst.Name) and plugins.value.value == "None"):
            return self._from_value(plugins.value, trainer, trainer.run_form)
        if any(arg.star == "**" for arg in trainer.node.args):
            raise self.error(trainer.node, "this trainer takes **kwargs, which may already pass plugins=; "
                             "nemo-migrate does not guess: pass plugins= explicitly")
        if plugins is not None:  # plugins=None: the new plugin takes its place
            indent = self.relative_indent(plugins.value)
            return Target(trainer, None, add_to=trainer.node, add_run_form=trainer.run_form, add_indent=indent)
        outside = self._outside_trainers()
        if len(outside) == 1:
            return Target(trainer, outside[0])
        if len(outside) > 1:
            raise self._too_many(outside)
        if self.plugin_assignments:
            return self._from_assignments(trainer)
        indent = self._arg_indent(trainer.node)
        return Target(trainer, None, add_to=trainer.node, add_run_form=trainer.run_form, add_indent=indent)

    def _arg_indent(self, call: cst.Call) -> str:
        from migrate.codemod.arglist import INDENT, line_start

        start = line_start(call)
        if start is not None:
            return start.last_line.value
        return self.relative_indent(call) + ("" if call.args else INDENT)

    def _without_trainer(self) -> Target:
        if len(self.slots) == 1:
            return Target(None, self.slots[0])
        if len(self.slots) > 1:
            raise self._too_many(self.slots)
        if self.plugin_assignments:
            return self._from_assignments(None)
        if self.recipes:
            return self._in_recipe(self.recipes[0])
        raise InputError(
            Location(self.path),
            "found no nl.Trainer(...), MegatronMixedPrecision(...), recipe precision helper, `.plugins =` assignment "
            "or NeMo recipe (`recipe = llm.<model>.pretrain_recipe(...)`)",
        )

    def _in_recipe(self, recipe: Recipe) -> Target:
        """The recipe's own `NAME.trainer.plugins = ...` line if it has one, else a new line after the recipe."""
        if recipe.name is None:
            raise self.error(recipe.node, f"{recipe.function}(...) is not assigned to a name on a line of its own, so "
                             "there is no `recipe.trainer.plugins` to set; nemo-migrate does not guess: write "
                             f"`recipe = {recipe.function}(...)` there")
        path = f"{recipe.name}.trainer.plugins"
        assigned = [a for a in self.plugin_assignments if dotted_name(a.targets[0].target) == path]
        if len(assigned) > 1:
            lines = _lines(self.where(a)[0] for a in assigned)
            raise self.error(assigned[1], f"{path} is assigned more than once (lines {lines}); {HINT}")
        if assigned:
            return self._from_value(assigned[0].value, None, True)
        return Target(None, None, recipe=recipe)

    def _from_assignments(self, trainer: Trainer | None) -> Target:
        if len(self.plugin_assignments) > 1:
            lines = _lines(self.where(a)[0] for a in self.plugin_assignments)
            raise self.error(self.plugin_assignments[1], f"plugins are assigned more than once (lines {lines}); {HINT}")
        return self._from_value(self.plugin_assignments[0].value, trainer, True)

    def _too_many(self, slots: list[PluginSlot]) -> InputError:
        lines = _lines(s.line for s in slots)
        return self.error(slots[1].node, f"{len(slots)} precision plugins are built (lines {lines}); {HINT}")

    def _from_value(self, value: cst.BaseExpression, trainer: Trainer | None, run_form: bool) -> Target:
        """The precision plugin inside a `plugins` value: a call, a name bound to one, or a list."""
        slot = self._resolve(value)
        if slot is not None:
            return Target(trainer, slot)
        if isinstance(value, cst.List):
            found: list[PluginSlot] = []
            for element in value.elements:
                if isinstance(element, cst.StarredElement):
                    raise self.error(element, "the plugins list is built at run time (*...); nemo-migrate does not guess")
                resolved = self._resolve(element.value)
                if resolved is not None:
                    found.append(resolved)
                elif self._unknown(element.value):
                    raise self.error(
                        element.value,
                        f"cannot tell whether `{self.module.code_for_node(element.value)}` is a precision plugin; "
                        "nemo-migrate does not guess: write the plugin call in the list",
                    )
            if len(found) > 1:
                raise self._too_many(found)
            if found:
                return Target(trainer, found[0])
            anchor = value.elements[-1].value if value.elements else value
            return Target(trainer, None, add_to=value, add_run_form=run_form, add_indent=self.relative_indent(anchor))
        raise self.error(
            value,
            f"the precision plugin is built at run time (`{_short(self.module.code_for_node(value))}`); "
            "nemo-migrate does not guess: write nl.MegatronMixedPrecision(...) there",
        )

    def _resolve(self, value: cst.BaseExpression) -> PluginSlot | None:
        if isinstance(value, cst.Call):
            return self.by_node.get(id(value))
        if isinstance(value, cst.Name):
            bound = self.bindings.get(value.value, [])
            slots = [self.by_node[id(v)] for v in bound if id(v) in self.by_node]
            if len(slots) == 1 and len(bound) == 1:
                return slots[0]
        return None

    def _unknown(self, value: cst.BaseExpression) -> bool:
        """A list element that might be a precision plugin we cannot read."""
        if isinstance(value, cst.Call):
            name = self.module.code_for_node(value.func).lower()
            return "precision" in name or "mixed" in name
        if isinstance(value, cst.Name):
            bound = self.bindings.get(value.value, [])
            return not bound or any(not isinstance(v, cst.Call) or self._unknown(v) for v in bound)
        return True


    def later_settings(self, target: Target) -> tuple[list[tuple[cst.Assign, str]], list[tuple[cst.Assign, str]]]:
        """NeMo-Run style attribute writes that override the plugin or its trainer config after the fact.

        Returns (`P.name = v` where P is the plugin: `recipe.trainer.plugins` or a name bound to the
        call, and `T.name = v` where T is the config holding it: `recipe.trainer`).
        """
        holder = target.slot.node if target.slot is not None else target.add_to
        plugin_paths: set[str] = set()
        trainer_paths: set[str] = set()
        # plugin writes before the plugin is assigned (for a recipe: the new line after its statement)
        # are replaced by the assignment and left alone
        plugins_from = 0
        if target.recipe is not None and target.recipe.name is not None:
            plugin_paths.add(f"{target.recipe.name}.trainer.plugins")
            trainer_paths.add(f"{target.recipe.name}.trainer")
            plugins_from = target.recipe.end_line + 1
        for assign in self.plugin_assignments:
            if assign.value is holder:
                path = dotted_name(assign.targets[0].target)
                if path is not None:
                    trainer_paths.add(path.rpartition(".")[0])
                    if target.slot is not None:
                        plugin_paths.add(path)
                        plugins_from = self.where(assign)[0]
        for name, values in self.bindings.items():
            if target.slot is not None and len(values) == 1 and values[0] is target.slot.node:
                plugin_paths.add(name)
        plugin_sets, trainer_sets = [], []
        for assign in self.attribute_assignments:
            attribute = assign.targets[0].target
            assert isinstance(attribute, cst.Attribute)
            base = dotted_name(attribute.value)
            if base in plugin_paths and self.where(assign)[0] >= plugins_from:
                plugin_sets.append((assign, attribute.attr.value))
            elif base in trainer_paths and attribute.attr.value in ("precision", "gradient_clip_val"):
                trainer_sets.append((assign, attribute.attr.value))
        return plugin_sets, trainer_sets


def keyword_is(arg: cst.Arg, name: str) -> bool:
    """`name=...` (a keyword argument of that name)."""
    return arg.keyword is not None and arg.keyword.value == name


def _lines(numbers) -> str:
    items = [str(n) for n in numbers]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _short(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= 60 else code[:57] + "..."


def locate(module: cst.Module, path: str, text: str, trainer_line: int | None = None) -> tuple[Target, Locator]:
    locator = Locator(module, path, text)
    return locator.locate(trainer_line), locator
