"""The order ruff's import sorter (rule I001, default settings) gives import statements.

Written from ruff's `crates/ruff_linter/src/rules/isort` (`order.rs`, `sorting.rs`, `categorize.rs`),
default settings, which match isort's default profile on these points:

* sections, each separated by one blank line: `__future__`, standard library, third party, first
  party, local (relative imports). A module that is neither `__future__` nor in the standard library
  is third party: ruff calls it first party only when it finds the package in the project's own
  source folders, which a rewrite of one file does not look at;
* within a section all `import x` lines come before all `from x import y` lines
  (`force-sort-within-sections = false`, `from-first = false`, no blank line between the two);
* each kind is sorted by module name, case-insensitively first (`case-sensitive = false`), in
  natural order (`natord`: digit runs compare as numbers), then by the name as written; `from`
  imports of the same module by their first member (constants, then classes, then variables:
  `order-by-type = true`), then by `as` name, a statement without one first.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import libcst as cst
from libcst.helpers import get_full_name_for_node

FUTURE, STANDARD_LIBRARY, THIRD_PARTY, LOCAL = 0, 1, 2, 4
_STRAIGHT, _FROM = 0, 1


def _dotted(node: cst.BaseExpression | None) -> str:
    """An import's dotted module or name ("" for the missing module of `from . import x`)."""
    return (get_full_name_for_node(node) or "") if node is not None else ""


def _natural_compare(a: str, b: str) -> int:
    """natord's comparison: characters one by one, a run of digits on both sides as a number."""
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i].isdigit() and b[j].isdigit():
            i_end, j_end = i, j
            while i_end < len(a) and a[i_end].isdigit():
                i_end += 1
            while j_end < len(b) and b[j_end].isdigit():
                j_end += 1
            left, right = int(a[i:i_end]), int(b[j:j_end])
            if left != right:
                return -1 if left < right else 1
            i, j = i_end, j_end
            continue
        if a[i] != b[j]:
            return -1 if a[i] < b[j] else 1
        i, j = i + 1, j + 1
    return (len(a) - i > 0) - (len(b) - j > 0)


@functools.total_ordering
class _Natural:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Natural) and _natural_compare(self.text, other.text) == 0

    def __lt__(self, other: _Natural) -> bool:
        return _natural_compare(self.text, other.text) < 0


def _optional(text: str | None) -> tuple[Any, ...]:
    """None sorts before any name (Rust's Option ordering)."""
    return (0,) if text is None else (1, _Natural(text))


def _member(name: str, asname: str | None) -> tuple[Any, ...]:
    if len(name) > 1 and name.isupper():
        kind = 0  # constant
    elif name[:1].isupper():
        kind = 1  # class
    else:
        kind = 2  # variable
    return (name != "*", kind, _Natural(name.lower()), _Natural(name), _optional(asname))


def section(module: str, relative: bool = False) -> int:
    if relative:
        return LOCAL
    top = module.partition(".")[0]
    if top == "__future__":
        return FUTURE
    return STANDARD_LIBRARY if top in sys.stdlib_module_names else THIRD_PARTY


def sort_key(statement: cst.CSTNode) -> tuple[Any, ...] | None:
    """(section, kind, name keys...) of an import statement line (its first import), None for other lines."""
    if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
        return None
    first = statement.body[0]
    if isinstance(first, cst.Import):
        alias = first.names[0]
        name = _dotted(alias.name)
        asname = _dotted(alias.asname.name) if alias.asname is not None else None  # type: ignore[arg-type]
        return (section(name), _STRAIGHT, _Natural(name.lower()), _Natural(name), (0,), _optional(asname))
    if isinstance(first, cst.ImportFrom):
        module = _dotted(first.module)
        relative = bool(first.relative)
        if isinstance(first.names, cst.ImportStar):
            member: tuple[Any, ...] = _member("*", None)
        else:
            alias = first.names[0]
            asname = _dotted(alias.asname.name) if alias.asname is not None else None  # type: ignore[arg-type]
            member = _member(_dotted(alias.name), asname)
        # relative imports: the furthest (most dots) first (`relative-imports-order = "furthest-to-closest"`)
        distance = -len(first.relative) if relative else 0
        return (section(module, relative), _FROM, distance, _Natural(module.lower()), _Natural(module), (1, member))
    return None
