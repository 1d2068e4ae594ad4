"""Which rules run: `select`/`extend-select`/`ignore` with codes, prefixes, kebab names or ALL."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from migrate.lint.registry import RULES, find_rule


class SelectorError(ValueError):
    """A selector that names no rule (a usage or configuration error)."""


def expand(selector: str) -> set[str]:
    """The rule codes a selector stands for."""
    text = selector.strip()
    if text.upper() == "ALL":
        return set(RULES)
    rule = find_rule(text)
    if rule is not None:
        return {rule.code}
    codes = {code for code in RULES if code.startswith(text.upper())}
    if not codes or not text[:1].isalpha():
        raise SelectorError(f"unknown rule selector {selector!r} (use a code such as NMP101, a prefix such as NMP1, a rule name, or ALL)")
    return codes


def _expand_all(selectors: list[str]) -> set[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= expand(selector)
    return codes


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def validate(self) -> None:
        _expand_all([*self.select, *self.extend_select, *self.ignore])
        for _, selectors in self.per_file_ignores:
            _expand_all(list(selectors))

    def enabled(self) -> frozenset[str]:
        chosen = _expand_all([*self.select, *self.extend_select])
        return frozenset(chosen - _expand_all(list(self.ignore)))

    def enabled_for(self, relative_path: str) -> frozenset[str]:
        """Rules for one file: `per-file-ignores` patterns match the path relative to the project root."""
        enabled = self.enabled()
        name = relative_path.rsplit("/", 1)[-1]
        for pattern, selectors in self.per_file_ignores:
            if fnmatch.fnmatch(relative_path, pattern) or fnmatch.fnmatch(name, pattern):
                enabled = enabled - _expand_all(list(selectors))
        return frozenset(enabled)
