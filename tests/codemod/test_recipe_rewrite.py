"""NeMo-Run recipes with no explicit plugin (`recipe = llm.llama3_8b.pretrain_recipe(...)`): the plugin
goes on a new `recipe.trainer.plugins = ...` line after the recipe, a conflicting trainer precision
goes, and every other shape of script keeps its own rule."""

from __future__ import annotations

import ast
import re

import pytest
from codemod_cases import CASES_DIR, run_in

from migrate.codemod.rewrite import rewrite_script
from migrate.convert import ConvertOptions, spec_for
from migrate.errors import InputError
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.yamlsource import parse_yaml
from migrate.plan.targets import plan_nemo2

BF16_O2 = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n"
HEAD = "import nemo_run as run\nimport torch\nfrom nemo import lightning as nl\n"


def _rewrite(script: str, trainer_line: int | None = None):
    options = ConvertOptions()
    plan = plan_nemo2(spec_for(LegacyConfig(parse_yaml(BF16_O2, "old.yaml"), (), {}), options), "2.5")
    return rewrite_script(script, "train.py", plan, trainer_line)


def _lines_after(text: str, marker: str) -> list[str]:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if marker in line)
    return lines[index + 1:]


@pytest.mark.parametrize(("imports", "call"), [
    ("from nemo.collections import llm", "llm.llama3_8b.pretrain_recipe(num_nodes=1)"),
    ("import nemo.collections.llm as llm", "llm.llama3_8b.finetune_recipe(num_nodes=1)"),
    ("from nemo.collections import llm as nemo_llm", "nemo_llm.mixtral_8x7b.pretrain_recipe()"),
    ("from nemo.collections.llm.recipes import llama3_8b", "llama3_8b.pretrain_recipe()"),
    ("from nemo.collections.llm.recipes.llama3_8b import finetune_recipe", "finetune_recipe()"),
])
def test_every_spelling_of_a_recipe_gets_the_plugin_right_after_it(imports: str, call: str) -> None:
    text = _rewrite(f"{HEAD}{imports}\n\nrecipe = {call}\nrecipe.trainer.max_steps = 10\n").text
    after = _lines_after(text, f"recipe = {call}")
    assert after[0] == "recipe.trainer.plugins = run.Config("
    assert after[1] == "    nl.MegatronMixedPrecision,"
    assert after[after.index(")") + 1] == "recipe.trainer.max_steps = 10"
    ast.parse(text)


@pytest.mark.parametrize("script", [
    "import mylab.llm as llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n",  # not NeMo's llm
    "from nemo.collections import llm\n\nmodel = llm.llama3_8b.model()\n",  # not a recipe function
    "from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe\n",  # not called
])
def test_what_is_not_a_nemo_recipe_is_not_touched(script: str) -> None:
    with pytest.raises(InputError, match="found no nl.Trainer"):
        _rewrite(script)


def test_the_variable_the_recipe_is_bound_to_is_used() -> None:
    text = _rewrite(f"{HEAD}from nemo.collections import llm\n\nexp = llm.llama3_8b.pretrain_recipe()\n").text
    assert "\nexp.trainer.plugins = run.Config(\n" in text


def test_the_trainer_precision_of_that_recipe_goes_and_is_reported() -> None:
    script = (f"{HEAD}from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"
              'recipe.trainer.precision = "bf16-mixed"\nother.trainer.precision = "bf16-mixed"\n')
    result = _rewrite(script)
    assert 'recipe.trainer.precision' not in result.text
    assert 'other.trainer.precision = "bf16-mixed"' in result.text
    found = {f.code: f for f in result.findings}
    assert found["trainer-precision"].origin.line == 7
    assert (found["plugin-added"].origin.line, found["plugin-added"].origin.col) == (6, 10)
    assert "replaces the recipe's own precision plugin" in found["plugin-added"].message


def test_plugin_attributes_written_after_the_recipe_follow_the_plugin_rule() -> None:
    script = (f"{HEAD}from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"
              "recipe.trainer.plugins.params_dtype = torch.float32\n"  # contradicts O2 bf16: set
              "recipe.trainer.plugins.autocast_enabled = True\n")  # not decided by the legacy config: kept
    text = _rewrite(script).text
    assert "recipe.trainer.plugins.params_dtype = torch.bfloat16\n" in text
    assert "recipe.trainer.plugins.autocast_enabled = True\n" in text


def test_an_existing_plugins_assignment_of_the_recipe_is_updated_not_duplicated() -> None:
    script = (f"{HEAD}from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"
              'recipe.trainer.plugins = nl.MegatronMixedPrecision(precision="16-mixed")\n')
    text = _rewrite(script).text
    assert text.count(".plugins =") == 1
    assert 'precision="bf16-mixed"' in text


@pytest.mark.parametrize(("script", "where", "message"), [
    ("from nemo.collections import llm\n\nrun(llm.llama3_8b.pretrain_recipe())\n", (3, 5), "not assigned to a name"),
    ("from nemo.collections import llm\n\nif True: recipe = llm.llama3_8b.pretrain_recipe()\n", (3, 19),
     "not assigned to a name"),
    ("from nemo.collections import llm\n\na, b = llm.llama3_8b.pretrain_recipe(), 1\n", (3, 8), "not assigned to a name"),
    ("from nemo.collections import llm\n\na = llm.llama3_8b.pretrain_recipe()\nb = llm.llama3_8b.finetune_recipe()\n",
     (4, 5), "2 NeMo recipes are built (lines 3 and 4); choose one with --trainer-line LINE"),
])
def test_scripts_that_need_a_guess_are_refused_at_a_line_and_column(script: str, where: tuple[int, int],
                                                                     message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)) as error:
        _rewrite(script)
    assert (error.value.location.line, error.value.location.col) == where


def test_trainer_line_picks_one_of_two_recipes_and_a_second_run_recognises_its_plugin() -> None:
    script = (f"{HEAD}from nemo.collections import llm\n\na = llm.llama3_8b.pretrain_recipe()\n"
              "b = llm.llama3_8b.finetune_recipe()\n")
    once = _rewrite(script, trainer_line=7).text
    assert "\nb.trainer.plugins = run.Config(\n" in once and "a.trainer.plugins" not in once
    assert _rewrite(once, trainer_line=7).text == once


def test_a_trainer_in_the_script_still_takes_precedence_over_the_recipe() -> None:
    script = (f"{HEAD}from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"
              "recipe.trainer = run.Config(nl.Trainer, devices=8)\n")
    text = _rewrite(script).text
    assert "recipe.trainer.plugins" not in text
    assert "plugins=run.Config(" in text


def test_check_then_write_from_the_command_line(tmp_path) -> None:
    script = tmp_path / "train.py"
    original = "from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"
    script.write_text(original, encoding="utf-8")
    legacy = str(CASES_DIR / "legacy" / "bf16_o2.yaml")
    check = run_in(tmp_path, ["convert", legacy, "--into", "train.py", "--check"])
    assert check.code == 1 and "train.py: would change" in check.stderr
    assert script.read_text(encoding="utf-8") == original
    assert run_in(tmp_path, ["convert", legacy, "--into", "train.py"]).code == 0
    assert run_in(tmp_path, ["convert", legacy, "--into", "train.py", "--check"]).code == 0
