"""What a rule is: identity, documentation, examples, and the check that yields Reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

KINDS = {
    "legacy": "NeMo 1.0 YAML",
    "automodel": "NeMo AutoModel YAML",
    "python": "NeMo 2.0 / Megatron Bridge Python",
    "any": "any linted file",
}


@dataclass(frozen=True)
class Report:
    """A rule's finding before the runner turns it into a Diagnostic (1-based positions).

    `path` is set when the finding sits in another file Hydra composed into the linted config."""

    line: int
    col: int
    end_line: int
    end_col: int
    message: str
    path: str | None = None


@dataclass(frozen=True)
class Rule:
    """One lint rule. `bad` must yield diagnostics exactly at `bad_at` (line, col); `good` none.

    `refusal` marks rules for configs NeMo 1.0 refuses to run: they are checked on the raw config
    (the spec builder stops at such configs) and take precedence over the generic NMP100.
    """

    code: str
    name: str
    severity: str
    kind: str
    summary: str
    explanation: str
    bad: str
    good: str
    bad_at: tuple[tuple[int, int], ...]
    check: Callable[[Any], Iterable[Report]] = field(repr=False, compare=False)
    refusal: bool = False

    @property
    def example_suffix(self) -> str:
        return ".py" if self.kind == "python" else ".yaml"
