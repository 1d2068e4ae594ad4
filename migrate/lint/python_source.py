"""Parse a Python file with libcst (never run it) and collect the precision-related calls."""

from __future__ import annotations

from migrate.lint.context import PythonContext
from migrate.lint.python_targets import PRECISION_CALLS
from migrate.nemo2.calls import Positions, find_calls, parse_python
from migrate.target_api.nemo2 import DEFAULT_TARGET_NEMO


def python_context(text: str, path: str, target_nemo: str = DEFAULT_TARGET_NEMO) -> PythonContext:
    module = parse_python(text, path)
    positions = Positions(module)  # computed only if a call is found, then shared with the rules
    calls = find_calls(module, PRECISION_CALLS, positions)
    return PythonContext(path, text, module, calls, positions, target_nemo)
