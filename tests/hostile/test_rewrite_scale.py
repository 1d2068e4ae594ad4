"""The rewrite of large scripts skips what cannot matter, and still finds and edits everything that does.

--into walks only statement lines that name something imported, transforms only the nodes around
its edits and pauses the garbage collector (bench/bench_into.py has the timings); these tests pin
that the shortcuts change no result.
"""

from __future__ import annotations

import ast
import gc
import sys

import libcst as cst
import pytest
from hostile_inputs import LEGACY
from libcst.metadata import MetadataWrapper, PositionProvider

from migrate.codemod.rewrite import apply_edits, rewrite_script
from migrate.convert import ConvertOptions, load_config, spec_for
from migrate.nemo2 import source_guard
from migrate.nemo2.calls import Positions
from migrate.plan.targets import plan_nemo2

FILLER = "".join(
    f"\ndef helper_{i}(x, y=({i}, [{i}, {{'k': {i}}}])):\n    total = x + y[0] * 2 - {i}\n    return [total for _ in range(3)]\n"
    for i in range(40)
)


@pytest.fixture(scope="module")
def plan():
    options = ConvertOptions()
    return plan_nemo2(spec_for(load_config(str(LEGACY), options), options), options.target_nemo)


SCRIPTS = {
    "trainer in a function": (
        "import nemo_run as run\nfrom nemo import lightning as lightning_module\n",
        "\ndef main():\n    if True:\n        with open('x') as handle:\n            trainer = run.Config(\n"
        "                lightning_module.Trainer,\n                devices=8,\n                precision='bf16-mixed',\n"
        "            )\n    return trainer\n",
    ),
    "plugins assignment naming no import": (
        "from nemo.collections import llm\n",
        "\ndef configure(recipe):\n    recipe.trainer.plugins = [\n        make_logger(),\n    ]\n    return recipe\n",
    ),
    "plugin bound to a name": (
        "from nemo import lightning as nl\n",
        "\ndef main():\n    mp = nl.MegatronMixedPrecision(precision='16-mixed', fp8='hybrid')\n"
        "    trainer = nl.Trainer(\n        devices=2,\n        plugins=[mp],\n    )\n",
    ),
}


@pytest.mark.parametrize("case", sorted(SCRIPTS))
def test_code_around_the_trainer_changes_nothing_in_the_rewrite(plan, case: str) -> None:
    """The same script with 120 lines of ordinary code in the middle is rewritten the same way."""
    head, tail = SCRIPTS[case]
    small = rewrite_script(head + tail, "train.py", plan).text
    large = rewrite_script(head + FILLER + tail, "train.py", plan).text
    assert small != head + tail and "MegatronMixedPrecision" in small
    assert large.count(FILLER) == 1 and large.replace(FILLER, "", 1) == small
    ast.parse(large)
    assert rewrite_script(large, "train.py", plan).text == large  # a fixed point


def test_every_edit_is_applied_even_when_the_ranges_do_not_lead_to_it() -> None:
    module = cst.parse_module("a = f(1)\nb = g(2)\n")
    calls = [stmt.body[0].value for stmt in module.body]
    edits = {id(call): (lambda node: node.with_changes(args=[])) for call in calls}
    positions = Positions(module)
    assert apply_edits(module, edits, calls, positions).code == "a = f()\nb = g()\n"
    assert apply_edits(module, edits, [], positions).code == "a = f()\nb = g()\n"  # ranges missing: a full walk


def test_positions_are_the_ones_libcst_resolves() -> None:
    module = cst.parse_module("import torch\n\ndef f(x):\n    return torch.ones(x) + [1,\n  2]\n")
    resolved = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    ours = Positions(module)
    assert dict(ours.ranges) == dict(resolved)


def test_tree_work_restores_the_recursion_limit_and_the_collector() -> None:
    limit, collecting = sys.getrecursionlimit(), gc.isenabled()
    with source_guard.tree_work():
        assert sys.getrecursionlimit() >= source_guard.RECURSION_LIMIT and not gc.isenabled()
    assert (sys.getrecursionlimit(), gc.isenabled()) == (limit, collecting)
    with pytest.raises(ValueError), source_guard.tree_work():
        raise ValueError
    assert (sys.getrecursionlimit(), gc.isenabled()) == (limit, collecting)
