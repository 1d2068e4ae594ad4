"""Spell NeMo, torch and NeMo-Run names the way the script already imports them; add imports only when missing.

New imports are placed here rather than by libcst's `AddImportsVisitor`, which does not place them
where ruff's import sorter (I001) does, as the goldens require: it appends after the last import of
the leading block without a section break (`import os` then `import torch` with no blank line
between the standard library and third-party sections; a third-party import after
`from . import helpers`), and it merges a new `from nemo import lightning as nl` into the user's own
`from nemo import collections` line, editing a line this tool promises not to move. Removing an
import that a rewrite made unused is libcst's `RemoveImportsVisitor` (rewrite.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from migrate.codemod.import_order import sort_key
from migrate.target_api.nemo2 import PLUGIN_MODULES

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
    """Collects the imports a rewrite needs (insert_imports puts them in place)."""

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
        return [cst.parse_statement(s) for s in self.needed]  # type: ignore[misc]


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


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    """How many of a statement's leading lines are blank before its first comment line."""
    count = 0
    while count < len(lines) and lines[count].comment is None:
        count += 1
    return count


def insert_imports(module: cst.Module, statements: list[cst.SimpleStatementLine]) -> cst.Module:
    """Put each new import where ruff's import sorter would (import_order.py), without moving the user's lines.

    The file's leading import block (after its docstring) is the neighbourhood: a new import goes just
    before the first import of its section that sorts after it, else after the last import of its
    section; a section the block does not have yet starts after the sections that sort before it,
    separated by one blank line. In a sorted block this is the sorted position; in an unsorted one the
    user's order is kept. A comment above an import stays above that import.
    """
    body = list(module.body)
    for statement in sorted(statements, key=lambda s: sort_key(s)):  # type: ignore[arg-type, return-value]
        body = _insert(body, statement)
    return module.with_changes(body=body)


def _insert(body: list[cst.BaseStatement], new: cst.SimpleStatementLine) -> list[cst.BaseStatement]:
    start = 1 if body and _is_docstring(body[0]) else 0
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    if start == end:
        return _insert_without_block(body, new, start)
    key = sort_key(new)
    assert key is not None
    block = [(index, sort_key(body[index])) for index in range(start, end)]
    same = [(index, other) for index, other in block if other is not None and other[0] == key[0]]
    later = next((index for index, other in same if other > key), None)  # type: ignore[operator]
    if later is not None:
        return _before(body, later, new, separate=False)
    if same:
        return _after(body, same[-1][0], new, separate=False)
    earlier = [index for index, other in block if other is not None and other[0] < key[0]]
    if earlier:
        return _after(body, earlier[-1], new, separate=True)
    return _before(body, start, new, separate=True)


def _before(body: list[cst.BaseStatement], index: int, new: cst.SimpleStatementLine, separate: bool) -> list[cst.BaseStatement]:
    """`new` just above body[index]: it takes the blank lines above that statement, the comments stay with it."""
    lines = list(body[index].leading_lines)
    blank = _blank_prefix(lines)
    rest = lines[blank:]
    body = list(body)
    body[index] = body[index].with_changes(leading_lines=([cst.EmptyLine()] if separate else []) + rest)
    body.insert(index, new.with_changes(leading_lines=lines[:blank]))
    return body


def _after(body: list[cst.BaseStatement], index: int, new: cst.SimpleStatementLine, separate: bool) -> list[cst.BaseStatement]:
    body = list(body)
    body.insert(index + 1, new.with_changes(leading_lines=[cst.EmptyLine()] if separate else []))
    return body


def _insert_without_block(body: list[cst.BaseStatement], new: cst.SimpleStatementLine, position: int) -> list[cst.BaseStatement]:
    """No import block yet: after the docstring (or at the top), a blank line between it and what follows."""
    body = list(body)
    if position < len(body) and not body[position].leading_lines:
        body[position] = body[position].with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(position, new.with_changes(leading_lines=[cst.EmptyLine()] if position == 1 else []))
    return body
