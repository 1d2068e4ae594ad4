"""No value of any precision key makes `convert` crash: each input converts or fails with a located error."""

from __future__ import annotations

import ast
import itertools

import pytest

from migrate.convert import ConvertOptions, convert_config
from migrate.legacy.layout import MODEL_PRECISION_KEYS
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.yamlsource import parse_yaml

ODD_VALUES = ("[1, 2]", "{a: 1}", "null", "x", "3.5", "-1", "True", "'${nowhere}'", "'???'", "0")
KEYS = sorted(f"model.{key}" for key in MODEL_PRECISION_KEYS) + [
    "trainer.precision",
    "trainer.gradient_clip_val",
    "model.optim.name",
    "model.optim.grad_sync_dtype",
    "model.optim.dtype",
]
BASE = {
    "trainer.precision": "bf16",
    "model.megatron_amp_O2": "True",
    "model.transformer_engine": "True",
    "model.fp8": "True",
    "model.fp8_hybrid": "True",
    "model.mcore_gpt": "True",
    "model.optim.name": "distributed_fused_adam",
}


def _yaml(values: dict[str, str]) -> str:
    tree: dict = {}
    for dotted, value in values.items():
        node = tree
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    lines: list[str] = []

    def emit(node: dict, depth: int) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                lines.append("  " * depth + f"{key}:")
                emit(value, depth + 1)
            else:
                lines.append("  " * depth + f"{key}: {value}")

    emit(tree, 0)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", KEYS)
def test_odd_values_never_crash(key: str) -> None:
    for value, precision in itertools.product(ODD_VALUES, ("bf16", "16")):
        values = dict(BASE, **{"trainer.precision": precision})
        values[key] = value
        config = LegacyConfig(parse_yaml(_yaml(values), "odd.yaml"))
        result = convert_config(config, ConvertOptions(nemo1_version="2.x"))
        if result.status == "converted":
            ast.parse(result.output)  # a module, not a traceback turned into text
        elif result.status == "failed":
            assert result.message.startswith("odd.yaml:"), result.message  # located
        else:
            assert result.status == "skipped" and result.message, result  # says why
