"""Parse a Python file with libcst (never run it) and collect the precision-related calls."""

from __future__ import annotations

from migrate.emit.signatures import DEFAULT_TARGET_NEMO
from migrate.lint.context import PythonContext
from migrate.lint.python_targets import TARGETS
from migrate.nemo2.calls import Positions, find_calls, parse_python


def python_context(text: str, path: str, target_nemo: str = DEFAULT_TARGET_NEMO) -> PythonContext:
    module = parse_python(text, path)
    positions = Positions(module)  # computed only if a call is found, then shared with the rules
    calls = find_calls(module, TARGETS, positions)
    return PythonContext(path, text, module, calls, positions, target_nemo)
