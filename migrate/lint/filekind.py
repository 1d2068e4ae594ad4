"""What a file is, from its content: NeMo 1.0 YAML, NeMo AutoModel YAML, Python, or nothing to lint."""

from __future__ import annotations

import re
from typing import Any

from migrate.legacy.layout import targets

PYTHON_SUFFIXES = (".py", ".pyi")
YAML_SUFFIXES = (".yaml", ".yml")
_PYTHON_LINE = re.compile(r"^(?:from\s+[\w.]+\s+import\s|import\s+[\w.]+|def\s+\w+\s*\(|class\s+\w+[:(])", re.MULTILINE)


def is_python(path: str, text: str) -> bool:
    """By suffix when it says, else by content (a stdin stream or an extension-less script)."""
    lowered = path.lower()
    if lowered.endswith(PYTHON_SUFFIXES):
        return True
    if lowered.endswith(YAML_SUFFIXES):
        return False
    return text.startswith("#!") and "python" in text.split("\n", 1)[0] or bool(_PYTHON_LINE.search(text))


def is_automodel(data: Any) -> bool:
    """An AutoModel recipe: a nemo_automodel `_target_`, or AutoModel's own top-level sections."""
    if not isinstance(data, dict):
        return False
    if any(target.startswith("nemo_automodel") for target in targets(data)):
        return True
    fp8 = data.get("fp8")
    return "step_scheduler" in data or (isinstance(fp8, dict) and "enabled" in fp8)
