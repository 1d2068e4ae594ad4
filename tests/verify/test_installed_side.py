"""Which migrated side verify uses, and how the report names it. No NeMo 2.x or Bridge is installed
here: the installed path itself runs in tests/conformance/test_round_trip.py where the environments
are cached; these tests pin the choice and the plumbing around it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cli_helpers import ROOT, run_cli

from migrate.convert import ConvertOptions
from migrate.verify.check import structural_check
from migrate.verify.installed import migrated

FIXTURE = str(ROOT / "fixtures" / "verify" / "delayed_hybrid.yaml")


def test_nothing_installed_means_the_tables_and_the_report_says_so():
    result = structural_check(FIXTURE, ConvertOptions())
    assert result.migrated_source == "nemo-migrate's tables of NeMo 2.7"
    bridge = structural_check(FIXTURE, ConvertOptions(target="bridge"))
    assert bridge.migrated_source == "nemo-migrate's tables of Megatron Bridge 0.6.2"
    assert "migrated side: nemo-migrate's tables of NeMo 2.7" in run_cli(["verify", FIXTURE, "--no-numeric"]).stdout


def test_a_release_without_tables_keeps_the_tables_and_says_why(monkeypatch):
    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.9.1")
    result = structural_check(FIXTURE, ConvertOptions())
    assert result.migrated_source == ("nemo-migrate's tables of NeMo 2.7 (installed nemo_toolkit 2.9.1 is a release "
                                      "nemo-migrate has no tables for)")


def test_an_explicit_other_target_release_keeps_the_tables(monkeypatch):
    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.5.3")
    options = replace(ConvertOptions(target_nemo="2.7"), target_nemo_from="--target-nemo")
    result = structural_check(FIXTURE, options)
    assert "--target-nemo 2.7 names another release than the installed nemo_toolkit 2.5.3" in result.migrated_source


def test_an_installed_nemo_that_cannot_run_keeps_the_tables(monkeypatch):
    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.7.3")  # nemo itself is not importable here
    result = structural_check(FIXTURE, ConvertOptions())
    assert result.migrated_source.startswith("nemo-migrate's tables of NeMo 2.7 (installed nemo_toolkit 2.7.3 could not be used (")
    assert result.equivalent


def test_conformance_keeps_the_tables_whatever_is_installed(monkeypatch):
    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.7.3")
    assert structural_check(FIXTURE, ConvertOptions(), installed=False).migrated_source == "nemo-migrate's tables of NeMo 2.7"


FACTS = {
    "tc": {"fp16": False, "bf16": True, "params_dtype": "bf16", "pipeline_dtype": "bf16", "fp8": "hybrid"},
    "optimizer": {}, "ddp": {"grad_reduce_in_fp32": True, "fp8_param_gather": False},
    "module": {"wrapped": True, "param_dtype": "bf16"},
    "scaler": {"class": None, "wrapper": "Float16OptimizerWithFloat16Params"},
    "recipe": {"class": "DelayedScaling", "kwargs": {"margin": 0, "fp8_format": "HYBRID", "amax_history_len": 1024,
                                                     "amax_compute_algo": "max", "override_linear_precision": [False, False, False],
                                                     "fp8_dpa": False, "fp8_mha": False},
               "defaults": {"reduce_amax": True}},
    "grad_scale_func_assigned_in": [], "refusal": None,
}


def test_an_installed_nemo_builds_the_migrated_side_from_the_literal_arguments(monkeypatch):
    from migrate.verify.installed import nemo2

    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.7.3")
    seen = {}

    def facts(arguments, te_version):
        seen.update(arguments=arguments, te_version=te_version)
        return dict(FACTS)

    monkeypatch.setattr(nemo2, "facts_from_arguments", facts)
    result = structural_check(FIXTURE, ConvertOptions())
    assert result.migrated_source == "nemo_toolkit 2.7.3, installed"
    assert seen["arguments"]["precision"] == "bf16-mixed" and seen["arguments"]["fp8_amax_history_len"] == 1024
    assert seen["te_version"] == nemo2.DEFAULT_TE_VERSION
    assert result.migrated.entries["amax_history_len"].why.startswith("nemo_toolkit 2.7.3 (MegatronMixedPrecision")
    assert result.equivalent, [(r.key, r.legacy, r.migrated) for r in result.structural.differences]


@pytest.mark.parametrize("refusal", ["construct: TypeError: bad argument", "validation: ValueError: no"])
def test_the_real_class_refusing_is_an_error_of_the_migrated_side(monkeypatch, refusal):
    from migrate.verify.installed import nemo2

    monkeypatch.setattr(migrated, "installed_nemo2", lambda: "2.7.3")
    answer = {"exception": refusal} if refusal.startswith("construct") else {**FACTS, "refusal": refusal}
    monkeypatch.setattr(nemo2, "facts_from_arguments", lambda arguments, te_version: answer)
    result = structural_check(FIXTURE, ConvertOptions())
    assert refusal in result.structural.errors and not result.equivalent
