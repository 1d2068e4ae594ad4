"""Running pieces of an installed release's own source: found without importing the module, compiled
against names the caller provides (used where the real function is only defined once Transformer
Engine imports, or sits inside a method that cannot run here). The code that runs is the installed
release's, read at run time; nothing of it is copied into nemo-migrate.

Standard library only.
"""

from __future__ import annotations

import ast
import re
import types
from pathlib import Path
from typing import Any


def module_source(name: str) -> Path:
    """The source file of an installed module, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"{name} is not installed")
    return Path(spec.origin)


def definitions(source: Path, names: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Compile the first definition (in source order) of each of `names` from `source` into `namespace`."""
    tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
    found: dict[str, ast.stmt] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            if node.name not in found or node.lineno < found[node.name].lineno:
                found[node.name] = node
    missing = [n for n in names if n not in found]
    if missing:
        raise LookupError(f"{source}: no definition of {', '.join(missing)}")
    for name in names:
        code = compile(ast.Module([found[name]], type_ignores=[]), str(source), "exec")
        exec(code, namespace)  # the installed release's own code, compiled against stand-in names
    return namespace


def if_block(source: Path, function: str, test: str) -> types.CodeType:
    """The body of the `if <test>:` statement inside `function` (class methods included), compiled."""
    tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for inner in ast.walk(node):
                if isinstance(inner, ast.If) and ast.unparse(inner.test) == test:
                    return compile(ast.Module(inner.body, type_ignores=[]), str(source), "exec")
    raise LookupError(f"{source}: no `if {test}:` in {function}")


def assignments(root: Path, folders: tuple[str, ...], attribute: str) -> list[str]:
    """Files of an installed package at `root` (below `folders`) that assign `<something>.<attribute> = ...`."""
    pattern = re.compile(rf"\.{attribute}\s*=(?!=)")
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
                found.append(path.relative_to(root.parent).as_posix())
    return found
