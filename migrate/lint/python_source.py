"""Parse a Python file with libcst (never run it) and collect the precision-related calls."""

from __future__ import annotations

from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.emit.signatures import DEFAULT_TARGET_NEMO
from migrate.lint.context import PythonContext
from migrate.lint.python_targets import TARGETS
from migrate.nemo2.calls import find_calls, parse_python


def python_context(text: str, path: str, target_nemo: str = DEFAULT_TARGET_NEMO) -> PythonContext:
    module = parse_python(text, path)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    calls = find_calls(module, TARGETS, wrapper)
    positions = wrapper.resolve(PositionProvider) if calls else {}  # computed once, during find_calls
    return PythonContext(path, text, module, calls, positions, target_nemo)
