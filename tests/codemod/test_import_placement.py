"""New imports go where ruff's import sorter (I001, default settings) puts them, and the user's own
import lines never move. Checked by hand-written cases and against ruff itself."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from codemod_cases import GOOD, case_name

from migrate.codemod.imports import insert_imports

TORCH, NL, RUN = "import torch\n", "from nemo import lightning as nl\n", "import nemo_run as run\n"


def _place(source: str, *new: str) -> str:
    statements = [cst.parse_statement(s) for s in new]
    return insert_imports(cst.parse_module(source), statements).code  # type: ignore[arg-type]


@pytest.mark.parametrize(("source", "new", "expected"), [
    pytest.param(
        "import nemo_run as run\nfrom nemo.collections import llm\n\nx = 1\n", (TORCH, NL),
        "import nemo_run as run\nimport torch\nfrom nemo import lightning as nl\nfrom nemo.collections import llm\n\nx = 1\n",
        id="straight-imports-before-from-imports"),
    pytest.param(
        "import os\nimport sys\n\nx = 1\n", (TORCH,),
        "import os\nimport sys\n\nimport torch\n\nx = 1\n",
        id="a-new-section-after-the-standard-library"),
    pytest.param(
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n\nfrom . import helpers\n\nx = 1\n', (NL,),
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n\nfrom nemo import lightning as nl\n\n'
        'from . import helpers\n\nx = 1\n',
        id="third-party-between-standard-library-and-local"),
    pytest.param(
        "from . import helpers\n\nx = 1\n", (TORCH,),
        "import torch\n\nfrom . import helpers\n\nx = 1\n",
        id="before-the-only-section-when-it-sorts-later"),
    pytest.param(
        "import os\n\n# the model code\nimport torch.nn as nn\n", (TORCH,),
        "import os\n\nimport torch\n# the model code\nimport torch.nn as nn\n",
        id="a-comment-stays-above-its-import"),
    pytest.param(
        "import torch.nn\nimport abc_lab\n", (RUN,),
        "import nemo_run as run\nimport torch.nn\nimport abc_lab\n",
        id="unsorted-block-is-not-reordered"),
    pytest.param(
        "import zeta\nimport alpha\nimport omega\n", ("import beta\n",),
        "import beta\nimport zeta\nimport alpha\nimport omega\n",
        id="unsorted-block-before-the-first-import-that-sorts-after-it"),
    pytest.param(
        "import lib2\nimport lib10\n", ("import lib9\n",),
        "import lib2\nimport lib9\nimport lib10\n",
        id="natural-order-of-digits"),
    pytest.param(
        "import alpha\nimport Gamma\n", ("import beta\n",),
        "import alpha\nimport beta\nimport Gamma\n",
        id="case-insensitive"),
    pytest.param(
        "from lab import CONSTANT\nfrom lab import variable\n", ("from lab import Model\n",),
        "from lab import CONSTANT\nfrom lab import Model\nfrom lab import variable\n",
        id="members-by-type-constants-classes-variables"),
    pytest.param(
        '"""Doc."""\nx = 1\n', (TORCH, RUN),
        '"""Doc."""\n\nimport nemo_run as run\nimport torch\n\nx = 1\n',
        id="no-import-block-after-the-docstring"),
    pytest.param(
        "x = 1\n", (NL,),
        "from nemo import lightning as nl\n\nx = 1\n",
        id="no-import-block-at-the-top"),
])
def test_placement(source: str, new: tuple[str, ...], expected: str) -> None:
    assert _place(source, *new) == expected


def _ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("ruff", reason="ruff is installed with the test extras: pip install -e '.[test]'")
    return subprocess.run([sys.executable, "-m", "ruff", *args, "--isolated", "--no-cache", "--select", "I001"],
                          cwd=cwd, capture_output=True, text=True, check=False)


def test_golden_scripts_sorted_before_stay_sorted_after(tmp_path: Path) -> None:
    pairs = [(case, case.with_name(case_name(case) + ".after.py")) for case in GOOD]
    for index, (before, after) in enumerate(pairs):
        (tmp_path / f"before_{index}.py").write_bytes(before.read_bytes())
        (tmp_path / f"after_{index}.py").write_bytes(after.read_bytes())
    result = _ruff("check", "--output-format", "concise", ".", cwd=tmp_path)
    unsorted = {line.split(":")[0] for line in result.stdout.splitlines() if "I001" in line}
    assert not any(name.startswith("before_") for name in unsorted), "a golden before-script is not sorted"
    assert not unsorted, [pairs[int(name[6:-3])][1].name for name in sorted(unsorted)]
    assert len(pairs) >= 20  # every good case took part


_MODULES = ["os", "sys", "json", "typing", "dataclasses", "collections.abc", "numpy", "nemo", "nemo.collections",
            "nemo.lightning", "nemo_run", "torch", "torch.nn", "torchvision", "lightning.pytorch", "megatron.core",
            "Yaml", "zzz_lab", "lab2", "lab10", "_private"]


def _random_block(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 8)):
        module = rng.choice(_MODULES)
        kind = rng.random()
        if kind < 0.4:
            lines.append(f"import {module}")
        elif kind < 0.55:
            lines.append(f"import {module} as alias_{rng.randint(0, 9)}")
        elif kind < 0.9:
            lines.append(f"from {module} import {rng.choice(['thing', 'Thing', 'THING', 'other'])}")
        else:
            lines.append(f"from {'.' * rng.randint(1, 2)} import local_{rng.randint(0, 3)}")
    if rng.random() < 0.3:
        lines.insert(0, "from __future__ import annotations")
    return "\n".join(lines) + "\n\n\nvalue = 1\n"


def test_new_imports_keep_ruff_sorted_blocks_sorted(tmp_path: Path) -> None:
    """Random import blocks, sorted by ruff itself, stay sorted once the rewrite's imports are added."""
    rng = random.Random(20240612)
    for index in range(150):
        (tmp_path / f"case_{index}.py").write_text(_random_block(rng), encoding="utf-8")
    _ruff("check", "--fix", "--quiet", ".", cwd=tmp_path)  # ruff sorts them: the reference order
    for index in range(150):
        path = tmp_path / f"case_{index}.py"
        source = path.read_text(encoding="utf-8")
        new = [s for s in rng.sample([TORCH, NL, RUN], rng.randint(1, 3)) if s not in source]  # added when missing
        path.write_text(_place(source, *new), encoding="utf-8")
    result = _ruff("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_the_users_lines_keep_their_order_in_an_unsorted_block() -> None:
    rng = random.Random(7)
    for _ in range(100):
        block = _random_block(rng).split("\n\n\n")[0].splitlines()
        source = "\n".join(block) + "\n"
        placed = _place(source, "import new_a\n", "from new_b import c\n", "import _new_d\n").splitlines()
        assert [line for line in placed if line in block] == [line for line in block if line]
