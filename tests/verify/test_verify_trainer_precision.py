"""verify's migrated side for a NeMo 2.x trainer precision flag without MegatronMixedPrecision
(nemo2_trainer.py): Lightning's own precision plugins as MegatronStrategy runs them, the recipe form,
and the plugin-plus-flag error Lightning raises."""

from __future__ import annotations

import json
import re

import pytest
from cli_helpers import run_cli

from migrate.convert import ConvertOptions
from migrate.errors import InputError
from migrate.verify import numeric
from migrate.verify.check import numeric_runnable, structural_check
from migrate.verify.nemo2_side import nemo2_effective, read_plugin
from migrate.verify.nemo2_trainer import TrainerPrecision

VERIFY = "fixtures/verify"
TRAINER = "from nemo import lightning as nl\n\ntrainer = nl.Trainer(devices=8{args})\n"


def _side(text: str):
    return nemo2_effective(read_plugin(text, "train.py", "2.5"))


def _rows(text: str) -> dict[str, object]:
    return {key: entry.value for key, entry in _side(text).entries.items()}


@pytest.mark.parametrize("flag", ['"bf16-mixed"', '"bf16"'])
def test_bf16_mixed_is_fp32_weights_under_autocast(flag: str) -> None:
    side = _side(TRAINER.format(args=f", precision={flag}"))
    assert not side.errors
    assert {key: entry.value for key, entry in side.entries.items()} == {
        "precision_plugin": "MixedPrecision (Lightning)", "precision": "bf16", "amp_mode": "O1", "params_dtype": "fp32",
        "pipeline_dtype": None, "grad_reduce_dtype": "fp32", "fp8_format": None, "loss_scaler": "none",
    }
    assert "line 3" in side.entries["precision"].why


@pytest.mark.parametrize("flag", ['"16-mixed"', "16", '"16"'])
def test_fp16_mixed_fails_at_the_first_optimizer_step(flag: str) -> None:
    side = _side(TRAINER.format(args=f", precision={flag}"))
    assert side.entries["precision"].value == "fp16" and side.entries["amp_mode"].value == "O1"
    assert side.entries["loss_scaler"].value == "invalid"
    assert len(side.errors) == 1 and "Attempted unscale_ but _scale is None" in side.errors[0]


@pytest.mark.parametrize("args", ["", ', precision="32"', ", precision=32", ', precision="32-true"', ", precision=None"])
def test_no_flag_or_32_trains_in_fp32(args: str) -> None:
    rows = _rows(TRAINER.format(args=args))
    assert (rows["precision_plugin"], rows["precision"], rows["amp_mode"], rows["params_dtype"]) == (
        "Precision (Lightning)", "fp32", "fp32", "fp32")


def test_bf16_true_casts_the_weights_and_the_numeric_check_declines_it(tmp_path) -> None:
    rows = _rows(TRAINER.format(args=', precision="bf16-true"'))
    assert (rows["precision"], rows["amp_mode"], rows["params_dtype"], rows["grad_reduce_dtype"]) == (
        "bf16", "half", "bf16", "bf16")
    script = tmp_path / "train.py"
    script.write_text(TRAINER.format(args=', precision="bf16-true"'), encoding="utf-8")
    result = structural_check(f"{VERIFY}/bf16_no_fp8.yaml", ConvertOptions(), str(script))
    assert "HalfPrecision" in numeric_runnable(result)


@pytest.mark.parametrize("flag", ['"bf17"', "True", '"16-mixed "', "8"])
def test_a_flag_lightning_rejects_is_an_error_of_the_migrated_side(flag: str) -> None:
    side = _side(TRAINER.format(args=f", precision={flag}"))
    assert side.errors and "Lightning raises ValueError: Precision" in side.errors[0]


def test_strategy_pipeline_dtype_is_read() -> None:
    script = ("import torch\nfrom nemo import lightning as nl\n\n"
              "trainer = nl.Trainer(precision='bf16-mixed', strategy=nl.MegatronStrategy(pipeline_dtype=torch.bfloat16))\n")
    assert _rows(script)["pipeline_dtype"] == "bf16"


def test_run_config_trainer_and_its_later_attribute_writes() -> None:
    script = ("import nemo_run as run\nfrom nemo import lightning as nl\n\n"
              "trainer = run.Config(nl.Trainer, devices=8, precision='32')\ntrainer.precision = 'bf16-mixed'\n")
    side = _side(script)
    assert side.entries["precision"].value == "bf16" and "line 5" in side.entries["precision"].why


RECIPE = "from nemo.collections import llm\n\nrecipe = llm.llama3_8b.pretrain_recipe()\n"


def test_recipe_precision_on_top_of_the_recipes_own_plugin_is_lightnings_value_error() -> None:
    side = _side(RECIPE + 'recipe.trainer.precision = "bf16-mixed"\n')
    assert len(side.errors) == 1
    assert "Received both `precision=...` and `plugins=...`" in side.errors[0]
    assert "recipe.trainer.precision='bf16-mixed' (line 4)" in side.errors[0]


def test_recipe_without_its_plugin_trains_with_the_flag() -> None:
    side = _side(RECIPE + "recipe.trainer.plugins = None\nrecipe.trainer.precision = 'bf16-mixed'\n")
    assert not side.errors
    assert (side.entries["precision"].value, side.entries["amp_mode"].value) == ("bf16", "O1")


@pytest.mark.parametrize(("script", "where", "message"), [
    (RECIPE, (3, 10), "keeps the recipe's own precision plugin, which verify does not read: nothing to verify"),
    ("from nemo.collections import llm\n\nrun(llm.llama3_8b.pretrain_recipe())\n", (3, 5), "is not assigned to a name"),
    ("from nemo import lightning as nl\n\na = nl.Trainer(precision='bf16-mixed')\nb = nl.Trainer()\n", (4, 5),
     "2 nl.Trainer calls (lines 3, 4) and no MegatronMixedPrecision(...): verify reads exactly one trainer"),
    (TRAINER.format(args=", precision=flag"), (3, 33), "precision is not a literal (flag)"),
    (TRAINER.format(args=", plugins=bf16_mixed()"), (3, 33), "holds no MegatronMixedPrecision(...) call verify can read"),
    (TRAINER.format(args=", **options"), (3, 33), "this trainer takes **kwargs"),
    ("import torch\n", None, "no nl.MegatronMixedPrecision(...) call, nl.Trainer(...) or NeMo recipe found: nothing to verify"),
])
def test_what_verify_cannot_read_is_bad_input_at_its_place(script: str, where, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)) as error:
        read_plugin(script, "train.py", "2.5")
    location = error.value.location
    assert (None if location.line is None else (location.line, location.col)) == where


@pytest.mark.parametrize("script", [
    "from nemo import lightning as nl\n\nnl.Trainer(precision='bf16-mixed', plugins=nl.MegatronMixedPrecision('bf16-mixed'))\n",
    "from nemo import lightning as nl\n\np = nl.MegatronMixedPrecision('bf16-mixed')\nnl.Trainer(precision='bf16', plugins=[p])\n",
    "import nemo_run as run\nfrom nemo import lightning as nl\nfrom nemo.collections import llm\n\n"
    "recipe = llm.llama3_8b.pretrain_recipe()\nrecipe.trainer.precision = 'bf16-mixed'\n"
    "recipe.trainer.plugins = run.Config(nl.MegatronMixedPrecision, precision='bf16-mixed')\n",
])
def test_a_plugin_and_a_precision_flag_on_one_trainer_is_lightnings_value_error(script: str) -> None:
    side = _side(script)
    assert side.entries["precision_plugin"].value == "MegatronMixedPrecision"
    assert any("Received both `precision=...` and `plugins=...`" in error for error in side.errors)


@pytest.mark.parametrize("script", [
    "from nemo import lightning as nl\n\nnl.Trainer(precision=None, plugins=nl.MegatronMixedPrecision('bf16-mixed'))\n",
    "from nemo import lightning as nl\n\np = nl.MegatronMixedPrecision('bf16-mixed')\nnl.Trainer(plugins=[p])\n"
    "nl.Trainer(precision='bf16-mixed')\n",  # another trainer's flag
])
def test_a_plugin_without_a_flag_on_its_trainer_is_fine(script: str) -> None:
    assert not _side(script).errors


def test_trainer_precision_is_returned_as_such() -> None:
    assert isinstance(read_plugin(TRAINER.format(args=", precision='bf16-mixed'"), "t.py", "2.5"), TrainerPrecision)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda *gpus: "no CUDA device")


def test_cli_o1_config_against_a_bf16_mixed_trainer_is_structurally_equivalent(no_gpu, tmp_path) -> None:
    out = tmp_path / "report.json"
    result = run_cli(["verify", f"{VERIFY}/o1_bf16.yaml", "--script", f"{VERIFY}/trainer_precision_bf16.py",
                      "--json", str(out)])
    assert result.code == 0, result.stdout + result.stderr
    rows = {row["key"]: row for row in json.loads(out.read_text())["structural"]["rows"]}
    assert (rows["amp_mode"]["migrated"], rows["amp_mode"]["status"]) == ("O1", "equal")
    assert rows["pipeline_dtype"]["status"] == "n/a"


def test_cli_o2_config_against_a_bf16_mixed_trainer_differs(no_gpu, tmp_path) -> None:
    out = tmp_path / "report.json"
    result = run_cli(["verify", f"{VERIFY}/bf16_no_fp8.yaml", "--script", f"{VERIFY}/trainer_precision_bf16.py",
                      "--json", str(out)])
    assert result.code == 1
    differing = {row["key"] for row in json.loads(out.read_text())["structural"]["rows"] if row["status"] == "differs"}
    assert {"amp_mode", "params_dtype"} <= differing


def test_cli_recipe_with_a_trainer_precision_reports_the_error(no_gpu) -> None:
    result = run_cli(["verify", f"{VERIFY}/bf16_no_fp8.yaml", "--script", f"{VERIFY}/recipe_trainer_precision.py"])
    assert result.code == 1
    assert "Received both `precision=...` and `plugins=...`" in " ".join(result.stdout.split())
