"""The conformance harnesses' own logic, on CPU without any stack installed: comparing, mapping the
real objects' facts onto verify's rows, environment selection and lock files, and the project side."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.__main__ import select
from conformance.automodel import fp8_rows as automodel_fp8_rows
from conformance.automodel import real_rows as automodel_rows
from conformance.cases import ROOT, Case, Input, collect_inputs, prepare_target
from conformance.compare import RAISES, EnvResult, Real, add_answers, add_case, compare_case, same, summary_table
from conformance.envs import ENVS, cache_dir, lock_lines
from conformance.nemo1 import builders_for, prepare
from conformance.nemo1 import real_rows as nemo1_rows
from conformance.nemo2 import target_nemo
from migrate.verify.installed.rows import ROWS, mcore_rows


# -- comparing -------------------------------------------------------------------------------------
def test_same_keeps_bools_apart_from_numbers_but_ints_equal_floats():
    assert same(1000, 1000.0) and same(None, None) and same("bf16", "bf16")
    assert not same(True, 1) and not same(0, False) and not same(None, False)


def test_equal_rows_agree_and_a_differing_row_is_reported_with_both_values():
    expected = {"precision": "bf16", "amax_history_len": 1024}
    assert compare_case("c", expected, (), Real(rows=dict(expected)), ("precision", "amax_history_len")) == (2, [])
    compared, found = compare_case("c", expected, (), Real(rows={"precision": "bf16", "amax_history_len": 1}),
                                   ("precision", "amax_history_len"), {"amax_history_len": "line 3"})
    assert compared == 2
    assert [(d.row, d.verify, d.real, d.why) for d in found] == [("amax_history_len", 1024, 1, "line 3")]


def test_a_row_only_one_side_sets_is_a_disagreement():
    _, found = compare_case("c", {"loss_scale_applied": False}, (), Real(rows={}), ("loss_scale_applied",))
    assert [(d.verify, d.real) for d in found] == [(False, None)]


def test_refusals_agree_only_when_both_sides_refuse():
    assert compare_case("c", {}, ("ValueError: bad",), Real(exception="ValueError: bad"), ROWS) == (0, [])
    _, unexpected = compare_case("c", {}, (), Real(exception="recipe: ValueError: x"), ROWS)
    assert [(d.row, d.verify, d.real) for d in unexpected] == [(RAISES, "constructs", "recipe: ValueError: x")]
    _, missed = compare_case("c", {}, ("TypeError: y",), Real(rows={}), ROWS)
    assert [(d.row, d.verify, d.real) for d in missed] == [(RAISES, "TypeError: y", "constructs")]


def test_counts_and_tables():
    result = EnvResult("nemo2-2.5", "nemo-toolkit 2.5.3")
    add_case(result, "a", {"precision": "bf16"}, (), Real(rows={"precision": "bf16"}), ("precision",))
    add_case(result, "b", {}, ("E",), Real(exception="E"), ("precision",))
    add_case(result, "c", {"precision": "bf16"}, (), Real(rows={"precision": "fp32"}), ("precision",))
    assert (result.cases, result.constructed, result.exceptions, result.predicted, result.compared) == (3, 2, 1, 1, 2)
    assert len(result.disagreements) == 1
    table = summary_table([result])
    assert "| nemo2-2.5 | nemo-toolkit 2.5.3 | 3 | 2 | 1 (1) | 2 | 1 |" in table


# -- Megatron-core facts onto rows ----------------------------------------------------------------
def facts(**changes):
    base = {
        "tc": {"fp16": False, "bf16": True, "params_dtype": "bf16", "pipeline_dtype": "bf16", "fp8": None},
        "optimizer": {}, "ddp": {"grad_reduce_in_fp32": True, "fp8_param_gather": False},
        "module": {"wrapped": True, "param_dtype": "bf16"},
        "scaler": {"class": None, "wrapper": "Float16OptimizerWithFloat16Params"},
    }
    for key, value in changes.items():
        base[key] = {**base[key], **value} if isinstance(base.get(key), dict) and isinstance(value, dict) else value
    return base


def test_dtype_rows_from_the_configs_and_the_wrapped_model():
    rows = mcore_rows(facts(), scale_applied=False)
    assert {k: rows[k] for k in ("precision", "amp_mode", "params_dtype", "pipeline_dtype", "grad_reduce_dtype")} == {
        "precision": "bf16", "amp_mode": "O2", "params_dtype": "bf16", "pipeline_dtype": "bf16", "grad_reduce_dtype": "fp32"}
    assert rows["fp8_format"] is None and rows["loss_scaler"] == "none"
    half_reduce = mcore_rows(facts(ddp={"grad_reduce_in_fp32": False}), False)
    assert half_reduce["grad_reduce_dtype"] == "bf16"  # the wrapped weights' dtype
    fp32 = mcore_rows(facts(tc={"bf16": False}, module={"wrapped": False, "param_dtype": "fp32"},
                            scaler={"class": None, "wrapper": "FP32Optimizer"}), False)
    assert (fp32["precision"], fp32["amp_mode"]) == ("fp32", "fp32")
    odd = mcore_rows(facts(module={"wrapped": False, "param_dtype": "fp32"}), False)
    assert odd["amp_mode"].startswith("wrapped=False")  # never silently O2


DELAYED = {"class": "DelayedScaling",
           "kwargs": {"margin": 0, "fp8_format": "HYBRID", "amax_history_len": 1024, "amax_compute_algo": "max",
                      "override_linear_precision": [False, False, True], "fp8_dpa": False, "fp8_mha": False},
           "defaults": {"reduce_amax": True, "amax_history_len": 1024, "amax_compute_algo": "max"}}


def test_delayed_recipe_rows_are_the_passed_arguments_with_te_defaults_for_the_rest():
    rows = mcore_rows(facts(tc={"fp8": "hybrid"}, recipe=DELAYED), False)
    assert {k: rows[k] for k in ("recipe_class", "margin", "amax_history_len", "amax_compute_algo", "reduce_amax", "fp8_wgrad")} == {
        "recipe_class": "DelayedScaling", "margin": 0, "amax_history_len": 1024, "amax_compute_algo": "max",
        "reduce_amax": True, "fp8_wgrad": False}
    assert rows["fp8_params"] is False and rows["first_last_layers_bf16"] is False


def test_current_scaling_takes_no_delayed_arguments_and_runs_wgrad_in_fp8():
    rows = mcore_rows(facts(tc={"fp8": "e4m3", "fp8_recipe": "tensorwise"},
                            recipe={"class": "Float8CurrentScaling", "kwargs": {"fp8_format": "E4M3"}, "defaults": {}}), False)
    assert (rows["margin"], rows["amax_history_len"], rows["reduce_amax"]) == (None, None, None)
    assert (rows["fp8_dpa"], rows["fp8_mha"], rows["fp8_wgrad"]) == (False, False, True)


def test_fp8_weights_must_agree_between_ddp_and_the_model_config():
    assert mcore_rows(facts(tc={"fp8": "hybrid", "fp8_param": True}, ddp={"fp8_param_gather": True}, recipe=DELAYED), False)["fp8_params"] is True
    odd = mcore_rows(facts(tc={"fp8": "hybrid", "fp8_param": False}, ddp={"fp8_param_gather": True}, recipe=DELAYED), False)
    assert str(odd["fp8_params"]).startswith("inconsistent")
    legacy_te = facts(tc={"fp8": "hybrid"}, ddp={"fp8_param_gather": True}, recipe=DELAYED, te_fp8_parameters=True)
    assert mcore_rows(legacy_te, False)["fp8_params"] is True


def test_loss_scaler_rows_follow_the_scaler_megatron_core_chose():
    dynamic = {"class": "DynamicGradScaler", "args": [], "wrapper": "Float16OptimizerWithFloat16Params",
               "kwargs": {"initial_scale": 65536, "min_scale": 1.0, "growth_interval": 500, "hysteresis": 4}}
    rows = mcore_rows(facts(scaler=dynamic), scale_applied=True)
    assert {k: rows[k] for k in ("loss_scaler", "initial_loss_scale", "loss_scale_window", "hysteresis", "min_loss_scale", "loss_scale_applied")} == {
        "loss_scaler": "dynamic", "initial_loss_scale": 65536.0, "loss_scale_window": 500, "hysteresis": 4,
        "min_loss_scale": 1.0, "loss_scale_applied": True}
    constant = mcore_rows(facts(scaler={"class": "ConstantGradScaler", "args": [1.0], "kwargs": {}, "wrapper": "X"}), False)
    assert (constant["loss_scaler"], constant["initial_loss_scale"], constant["loss_scale_applied"]) == ("constant", 1.0, False)


# -- AutoModel facts onto rows ------------------------------------------------------------------
def cast(dtype, granularity="TENSORWISE", scaling="DYNAMIC"):
    return {"scaling_type": scaling, "granularity": granularity, "target_dtype": dtype}


def float8(grad_output="float8_e5m2", granularity="TENSORWISE", gw=("DYNAMIC", "DYNAMIC"), gather=False):
    return {"converted": True, "enable_fsdp_float8_all_gather": gather,
            "cast_config_input": cast("float8_e4m3fn", granularity), "cast_config_weight": cast("float8_e4m3fn", granularity),
            "cast_config_grad_output": cast(grad_output, granularity),
            "cast_config_input_for_grad_weight": cast("float8_e4m3fn", granularity, gw[0]),
            "cast_config_weight_for_grad_input": cast("float8_e4m3fn", granularity),
            "cast_config_grad_output_for_grad_weight": cast(grad_output, granularity, gw[1])}


def test_automodel_rows_from_the_parsed_policy_and_torchao_config():
    base = {"strategy": "FSDP2Config", "storage": "fp32", "autocast_dtype": None, "pipeline": None,
            "mp_policy": {"param_dtype": "bf16", "reduce_dtype": "fp32"}, "optimizer_target": "torch.optim.AdamW",
            "master_weights": None, "grad_scaler_in": [], "fp8": None, "float8": None}
    rows = automodel_rows(base)
    assert {k: rows[k] for k in ("precision", "amp_mode", "params_dtype", "grad_reduce_dtype", "fp8_format", "loss_scaler")} == {
        "precision": "bf16", "amp_mode": "O2", "params_dtype": "bf16", "grad_reduce_dtype": "fp32", "fp8_format": None, "loss_scaler": "none"}
    o1 = automodel_rows({**base, "autocast_dtype": "fp16", "mp_policy": {"param_dtype": "fp32", "reduce_dtype": "fp32"}})
    assert (o1["precision"], o1["amp_mode"]) == ("fp16", "O1")
    tensorwise = automodel_fp8_rows({"fp8": {"recipe_name": None}, "float8": float8(gather=True)})
    assert (tensorwise["fp8_format"], tensorwise["fp8_wgrad"], tensorwise["fp8_params"]) == ("hybrid", True, True)
    assert tensorwise["recipe_class"] == "torchao Float8Linear tensorwise (dynamic per-tensor)"
    rowwise = automodel_fp8_rows({"fp8": {"recipe_name": "rowwise_with_gw_hp"},
                                  "float8": float8("float8_e4m3fn", "AXISWISE", gw=("DISABLED", "DISABLED"))})
    assert (rowwise["fp8_format"], rowwise["fp8_wgrad"]) == ("e4m3", False)


# -- environments and the project side -------------------------------------------------------------
def test_targets_select_environments():
    assert select(["nemo2-2.5"]) == ["nemo2-2.5"]
    assert select(["bridge"]) == [n for n in ENVS if n.startswith("bridge-")]
    assert select([]) == list(ENVS)
    with pytest.raises(SystemExit):
        select(["nemo3"])


def test_cache_dir_is_user_generic_and_overridable(monkeypatch, tmp_path):
    monkeypatch.delenv("NEMO_MIGRATE_CONFORMANCE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "nemo-migrate" / "conformance"
    monkeypatch.setenv("NEMO_MIGRATE_CONFORMANCE_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"


def test_lock_lines_drop_pip_cuda_wheels_and_no_deps_packages():
    freeze = ("pip==24.0\ntorch==2.13.0+cpu\nnvidia-cublas-cu12==12.8.4.1\nnvidia-nccl-cu13==2.29.7\ntriton==3.5.0\n"
              "cuda-toolkit==13.0.3.0\nmegatron-bridge==0.6.0\nnvidia-resiliency-ext==0.4.1\nPyYAML==6.0.2\n")
    assert lock_lines(freeze, ("megatron-bridge==0.6.0",)) == ["torch==2.13.0", "nvidia-resiliency-ext==0.4.1", "PyYAML==6.0.2"]


def test_every_environment_has_a_committed_lock():
    assert all(env.lock.exists() for env in ENVS.values()), [e.name for e in ENVS.values() if not e.lock.exists()]


def test_each_release_is_compared_with_its_own_target_and_later_ones_with_the_newest():
    from dataclasses import replace

    assert target_nemo(ENVS["nemo2-2.2"]) == "2.2"
    assert target_nemo(ENVS["nemo2-2.6"]) == "2.6"
    assert target_nemo(ENVS["nemo2-2.7"]) == "2.7"
    assert target_nemo(replace(ENVS["nemo2-2.7"], name="nemo2-2.9")) == "2.7"


def test_project_side_reads_fixture_headers_and_verify_columns():
    inputs = {i.id: i for i in collect_inputs(None)}
    assert inputs["fixtures/convert/legacy_fp8_absent_history_v121.yaml"].nemo1_version == "1.21"
    assert inputs["fixtures/convert/override_set.yaml"].sets
    case = prepare_target(inputs["fixtures/verify/history_default.yaml"], "nemo2", "2.5")
    assert "nl.MegatronMixedPrecision(" in case.text
    assert (case.expected["amax_history_len"], case.expected["amax_compute_algo"]) == (1024, "max")
    assert prepare_target(inputs["fixtures/convert/err_fp8_no_format.yaml"], "nemo2") is None


def test_nemo1_side_sends_the_snapshot_payload_and_one_verify_column_per_builder():
    inputs = {i.id: i for i in collect_inputs(None)}
    payload, cases, why = prepare(inputs["fixtures/convert/fp16_o1_loss_scaling.yaml"], "1.23")
    assert why is None and payload["builders"] == ["MegatronTrainerBuilder", "MegatronLMPPTrainerBuilder"]
    assert payload["text"].startswith(ROOT.joinpath("fixtures/convert/fp16_o1_loss_scaling.yaml").read_text()[:20])
    assert [c.id for c in cases] == ["fixtures/convert/fp16_o1_loss_scaling.yaml [gpt]", "fixtures/convert/fp16_o1_loss_scaling.yaml [lmpp]"]
    gpt = cases[0].expected
    assert (gpt["amp_mode"], gpt["loss_scaler"], gpt["hysteresis"], gpt["trainer_builder"]) == ("O1", "dynamic", 4, "gpt")
    assert cases[1].expected["trainer_builder"] == "lmpp"


def test_nemo1_side_runs_the_lmpp_builder_with_verify_told_so():
    inputs = {i.id: i for i in collect_inputs(None)}
    _, cases, _ = prepare(inputs["fixtures/conformance/fp16_o1_pipeline_parallel.yaml"], "1.23")
    by_builder = {c.id.rsplit(" ", 1)[1]: c.expected for c in cases}
    assert by_builder["[gpt]"]["loss_scaler"] == "dynamic" and by_builder["[lmpp]"]["loss_scaler"] == "none"


def test_nemo1_side_lists_configs_without_a_trainer_as_not_run():
    inputs = {i.id: i for i in collect_inputs(None)}
    payload, cases, why = prepare(inputs["fixtures/convert/nemo_model_config.yaml"], "1.23")
    assert payload is None and why and cases


# -- NeMo 1.x facts onto rows ----------------------------------------------------------------------

def nemo1_facts(**changes):
    base = {"torch_dtype": "fp16", "mcore_gpt": False, "has_first_last_layers_bf16": False,
            "model_parallel": {"fp16": False, "bf16": False, "params_dtype": "fp32", "pipeline_dtype": "fp16", "enable_autocast": True},
            "transformer_config": {"fp8": None}, "parallel_transformer": {}, "grad_scale_func_set": True,
            "plugin": "PipelineMixedPrecisionPlugin",
            "scaler": {"enabled": True, "init_scale": 65536, "growth_interval": 500, "hysteresis": 4, "min_scale": None}}
    return {**base, **changes}


def test_nemo1_weights_mode_and_scaler_from_the_model_parallel_config_and_the_builder():
    rows = nemo1_rows(nemo1_facts())
    assert (rows["amp_mode"], rows["params_dtype"], rows["pipeline_dtype"]) == ("O1", "fp32", "fp16")
    assert (rows["loss_scaler"], rows["initial_loss_scale"], rows["loss_scale_window"], rows["hysteresis"]) == ("dynamic", 65536.0, 500, 4)
    assert rows["loss_scale_applied"] is True and rows["min_loss_scale"] is None
    o2 = nemo1_rows(nemo1_facts(torch_dtype="bf16", scaler=None,
                                model_parallel={"fp16": False, "bf16": True, "params_dtype": "bf16", "pipeline_dtype": "bf16", "enable_autocast": False}))
    assert (o2["amp_mode"], o2["loss_scaler"]) == ("O2", "none")
    disabled = nemo1_rows(nemo1_facts(scaler={"enabled": False, "init_scale": None}))
    assert disabled["loss_scaler"] == "none" and "initial_loss_scale" not in disabled


def test_nemo1_legacy_fp8_runs_only_in_transformer_engine_layers():
    recipe = {"class": "DelayedScaling", "kwargs": {"margin": 0, "fp8_format": "HYBRID", "amax_history_len": 1024,
                                                    "amax_compute_algo": "max", "reduce_amax": False}, "defaults": {}}
    built = nemo1_facts(recipe=recipe, parallel_transformer={"transformer_engine": True})
    rows = nemo1_rows(built)
    assert (rows["fp8_format"], rows["amax_history_len"], rows["reduce_amax"], rows["fp8_wgrad"]) == ("hybrid", 1024, False, True)
    assert rows["first_last_layers_bf16"] is False
    assert nemo1_rows({**built, "parallel_transformer": {"transformer_engine": False}})["fp8_format"] is None
    mcore = nemo1_rows(nemo1_facts(mcore_gpt=True, transformer_config={"fp8": "e4m3"},
                                   recipe={**recipe, "kwargs": {"fp8_format": "E4M3", "override_linear_precision": [False, False, True]},
                                           "defaults": {"reduce_amax": True}}))
    assert (mcore["fp8_format"], mcore["fp8_wgrad"], mcore["reduce_amax"]) == ("e4m3", False, True)


def test_nemo1_builders_follow_the_config_name():
    assert builders_for("megatron_bert") == ("bert",)
    assert builders_for("megatron_gpt") == builders_for(None) == ("gpt", "lmpp")


def test_nemo1_plugin_row_is_the_built_class_or_none():
    assert nemo1_rows(nemo1_facts())["precision_plugin"] == "PipelineMixedPrecisionPlugin"
    assert nemo1_rows(nemo1_facts(plugin=None))["precision_plugin"] == "none"


def test_answers_the_real_code_cannot_run_are_listed_not_counted():
    cases = [Case(Input("a", Path("a.yaml")), "", {"precision": "bf16"}), Case(Input("b", Path("b.yaml")), "", {"precision": "bf16"})]
    result = EnvResult("nemo1-1.23", "t")
    answers = [{"id": "a", "not_run": "needs the job's environment"}, {"id": "b", "facts": {"x": 1}, "exception": None}]
    add_answers(result, cases, answers, lambda facts: {"precision": "fp16"}, ("precision",))
    assert result.not_run == {"a": "needs the job's environment"}
    assert (result.cases, len(result.disagreements)) == (1, 1)


def test_counts_per_input_group_and_builder():
    from conformance.compare import group_table

    result = EnvResult("nemo1-1.23", "t")
    add_case(result, "fixtures/a.yaml [gpt]", {"precision": "bf16"}, (), Real(rows={"precision": "bf16"}), ("precision",))
    add_case(result, "corpus/b.yaml [gpt]", {"precision": "bf16"}, (), Real(exception="ValueError: x"), ("precision",))
    add_case(result, "corpus/b.yaml [lmpp]", {"precision": "bf16"}, (), Real(rows={"precision": "fp16"}), ("precision",))
    result.not_run["corpus/c.yaml [lmpp]"] = "needs the job"
    table = group_table(result)
    assert "| corpus [gpt] | 1 | 0 | 1 | 0 | 1 | 0 |" in table
    assert "| corpus [lmpp] | 1 | 1 | 0 | 1 | 1 | 1 |" in table
    assert "| fixtures [gpt] | 1 | 1 | 0 | 1 | 0 | 0 |" in table
