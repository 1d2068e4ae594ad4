"""Spell NeMo, torch and NeMo-Run names the way the script already imports them; add imports only when missing."""

from __future__ import annotations

import libcst as cst

from migrate.nemo2.calls import PLUGIN_MODULES

NEMO_LIGHTNING_IMPORT = "from nemo import lightning as nl\n"
TORCH_IMPORT = "import torch\n"
NEMO_RUN_IMPORT = "import nemo_run as run\n"


def _reference(aliases: dict[str, str], modules: tuple[str, ...], name: str) -> str | None:
    """How the script can already say `module.name`: a bound class, or a bound (parent) module."""
    for bound, target in aliases.items():
        if target in (f"{module}.{name}" for module in modules):
            return bound
    for module in modules:
        for bound, target in aliases.items():
            if target == module:
                return f"{bound}.{name}"
            if module.startswith(target + "."):
                return f"{bound}{module[len(target):]}.{name}"
    return None


class Imports:
    """Collects the imports a rewrite needs, in a fixed order."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.needed: list[str] = []

    def _add(self, statement: str) -> None:
        if statement not in self.needed:
            self.needed.append(statement)

    def plugin_class(self) -> cst.BaseExpression:
        reference = _reference(self.aliases, PLUGIN_MODULES, "MegatronMixedPrecision")
        if reference is None:
            self._add(NEMO_LIGHTNING_IMPORT)
            reference = "nl.MegatronMixedPrecision"
        return cst.parse_expression(reference)

    def run_config(self) -> cst.BaseExpression:
        reference = _reference(self.aliases, ("nemo_run",), "Config")
        if reference is None:
            self._add(NEMO_RUN_IMPORT)
            reference = "run.Config"
        return cst.parse_expression(reference)

    def torch(self) -> None:
        if self.aliases.get("torch") != "torch":
            self._add(TORCH_IMPORT)

    def statements(self) -> list[cst.SimpleStatementLine]:
        order = (TORCH_IMPORT, NEMO_LIGHTNING_IMPORT, NEMO_RUN_IMPORT)
        return [cst.parse_statement(s) for s in order if s in self.needed]  # type: ignore[misc]


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def insert_imports(module: cst.Module, statements: list[cst.SimpleStatementLine]) -> cst.Module:
    """Put new imports after the last import of the file's leading import block (or after its docstring)."""
    if not statements:
        return module
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if _is_import(statement):
            position = index + 1
        elif index == 0 and _is_docstring(statement):
            position = 1
        else:
            break
    if position == 0 or (position == 1 and _is_docstring(body[0])):
        # no import block yet: keep a blank line between the new imports and what follows
        if position < len(body) and not body[position].leading_lines:
            body[position] = body[position].with_changes(leading_lines=[cst.EmptyLine()])
        if position == 1:
            statements = [statements[0].with_changes(leading_lines=[cst.EmptyLine()]), *statements[1:]]
    body[position:position] = statements
    return module.with_changes(body=body)
