"""`--target-nemo`: NeMo 2.x releases, container tags with a published NeMo release, NeMo 3 refused.

The same value reaches all three commands (convert, lint, verify); each must accept the new
releases, map only confirmed container tags, and refuse the rest with one line and exit status 2.
"""

from __future__ import annotations

import json

import pytest
from cli_helpers import run_cli

from migrate.lint.fastcli import main as fast_lint
from migrate.nemo_releases import (
    CONTAINERS,
    DEFAULT,
    MAPPED_TAGS,
    NeMo3Error,
    TargetNemo,
    TargetNemoError,
    resolve_target_nemo,
)
from migrate.target_api.nemo2 import SIGNATURES
from migrate.verify import numeric
from migrate.verify.nemo2_signatures import PARAMETERS

YAML = "fixtures/convert/fp32.yaml"
VERIFY_YAML = "fixtures/verify/bf16_no_fp8.yaml"


@pytest.mark.parametrize(
    "value,release,container",
    [
        ("2.0", "2.0", None),
        ("2.5", "2.5", None),
        ("2.6", "2.6", None),
        ("2.7", "2.7", None),
        ("2.6.2", "2.6", None),  # as nemo.__version__ prints it; patch releases share the minor's signature
        ("2.7.3", "2.7", None),
        # NeMo Framework 24.09 user guide, Software Component Versions: 24.09 -> NeMo 2.0.0
        ("24.09", "2.0", "24.09"),
        # Megatron Bridge docs/releases/software-versions.md: 25.09 -> 2.5.0, 25.11 -> 2.6.0, 26.02 -> 2.7.0
        ("25.09", "2.5", "25.09"),
        ("25.11", "2.6", "25.11"),
        ("26.02", "2.7", "26.02"),
        ("nemo:25.11", "2.6", "25.11"),
        ("nvcr.io/nvidia/nemo:26.02", "2.7", "26.02"),
    ],
)
def test_release_or_confirmed_container_selects_a_signature(value, release, container):
    assert resolve_target_nemo(value) == TargetNemo(release, container)


def test_default_is_the_newest_release_with_the_nemo2_api():
    assert DEFAULT == "2.7" == list(SIGNATURES)[-1]
    assert run_cli(["convert", YAML]).stdout.startswith('"""NeMo 2.7 precision settings migrated from ')


def test_every_container_in_the_table_names_a_source():
    assert all(container.source for container in CONTAINERS.values())
    assert MAPPED_TAGS == ("24.09", "25.09", "25.11", "26.02")


@pytest.mark.parametrize("value", ["3.0", "3", "3.1", "3.0.0"])
def test_nemo3_is_refused_and_points_to_megatron_bridge(value):
    with pytest.raises(NeMo3Error) as error:
        resolve_target_nemo(value)
    message = str(error.value)
    assert "no MegatronMixedPrecision" in message and "nemo.collections.llm" in message
    assert message.endswith("use --target bridge") and "\n" not in message


@pytest.mark.parametrize("tag", ["24.12", "25.02", "25.04", "25.07", "25.04.01", "25.11.nemotron_3_nano"])
def test_unconfirmed_container_tag_asks_for_the_release_instead_of_guessing(tag):
    with pytest.raises(TargetNemoError) as error:
        resolve_target_nemo(tag)
    assert f"container {tag} is not one whose NeMo release a published component list confirms" in str(error.value)
    assert "give the NeMo release instead" in str(error.value)


@pytest.mark.parametrize("tag,nemo", [("24.05", "2.0.0rc0"), ("24.07", "2.0.0rc1")])
def test_containers_with_a_nemo2_pre_release_are_refused(tag, nemo):
    """NeMo 2.0.0rc0/rc1 define MegatronMixedPrecision(precision, amp_O2, device): not the 2.0 API."""
    with pytest.raises(TargetNemoError) as error:
        resolve_target_nemo(tag)
    assert f"holds NeMo {nemo}" in str(error.value) and "predates the NeMo 2.0 API" in str(error.value)


def test_container_whose_component_list_names_no_nemo_points_to_bridge():
    with pytest.raises(TargetNemoError) as error:
        resolve_target_nemo("26.04")
    assert "names Megatron Bridge 0.4.0 and no NeMo release" in str(error.value)
    assert "--target bridge" in str(error.value)


@pytest.mark.parametrize("value", ["1.23", "2.8", "2", "2.0.0rc1", "latest", ""])
def test_other_values_are_refused(value):
    with pytest.raises(TargetNemoError):
        resolve_target_nemo(value)


def test_both_signature_tables_know_the_same_releases():
    assert list(PARAMETERS) == list(SIGNATURES)


def test_nemo_2_6_and_2_7_only_add_fp4_arguments():
    """nemo_toolkit 2.6.x/2.7.x: fp4=None, fp4_recipe='nvfp4' after fp8_param_gather; no default changed."""
    for release in ("2.6", "2.7"):
        added = {k: v for k, v in SIGNATURES[release].items() if k not in SIGNATURES["2.5"]}
        assert added == {"fp4": None, "fp4_recipe": "nvfp4"}
        assert all(SIGNATURES[release][k] == v for k, v in SIGNATURES["2.5"].items())
        names = [name for name, _ in PARAMETERS[release]]
        assert names[names.index("fp8_param_gather") + 1 : names.index("fp8_param_gather") + 3] == ["fp4", "fp4_recipe"]


# --- the three commands ---------------------------------------------------------------------------


def test_convert_header_names_the_release_and_the_container():
    result = run_cli(["convert", YAML, "--target-nemo", "25.11"])
    assert result.code == 0, result.stderr
    assert result.stdout.startswith('"""NeMo 2.6 (container 25.11) precision settings migrated from ')


@pytest.mark.parametrize("command", [["convert", YAML], ["verify", VERIFY_YAML, "--no-numeric"]])
@pytest.mark.parametrize("value", ["3.0", "25.04"])
def test_convert_and_verify_refuse_with_one_line_and_status_2(command, value):
    result = run_cli([*command, "--target-nemo", value])
    assert result.code == 2
    assert result.stdout == ""
    # the shared usage-error shape: one `error:` line and one `hint:` line
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: --target-nemo {value}: ") and len(lines) == 2 and lines[1].startswith("hint: ")


def test_nemo3_with_the_bridge_target_is_consistent_and_accepted():
    result = run_cli(["convert", YAML, "--target", "bridge", "--target-nemo", "3.0"])
    assert result.code == 0, result.stderr
    assert result.stdout.startswith('"""Megatron Bridge 0.6.2 precision settings')


def test_lint_takes_container_tags_and_refuses_nemo3(capsys):
    accepted = run_cli(["lint", YAML, "--target-nemo", "25.11"])
    assert accepted.code != 2 and "error:" not in accepted.stderr
    refused = run_cli(["lint", YAML, "--target-nemo", "3.0"])
    assert refused.code == 2
    assert refused.stderr.startswith("error: target-nemo 3.0: NeMo 3 has no MegatronMixedPrecision")
    assert fast_lint([YAML, "--target-nemo", "3.0"]) == 2
    assert "error: target-nemo 3.0: NeMo 3 has no MegatronMixedPrecision" in capsys.readouterr().err


def test_verify_report_names_the_release_used(monkeypatch, tmp_path):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: "no CUDA device")
    out = tmp_path / "report.json"
    result = run_cli(["verify", VERIFY_YAML, "--target-nemo", "26.02", "--json", str(out)])
    assert result.code == 0, result.stderr
    assert "NeMo 2.7 (container 26.02)" in result.stdout
    assert json.loads(out.read_text())["target_release"] == "NeMo 2.7 (container 26.02)"


def test_lint_setting_takes_a_container_tag_and_applies_its_release(tmp_path):
    script = tmp_path / "train.py"
    script.write_text("from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp4='e2m1')\n")
    on_25_09 = run_cli(["lint", str(script), "--config", 'target-nemo = "25.09"', "--output-format", "concise"])
    assert on_25_09.code == 1 and "NMP301" in on_25_09.stdout and "in NeMo 2.5 (--target-nemo)" in on_25_09.stdout
    on_25_11 = run_cli(["lint", str(script), "--config", 'target-nemo = "25.11"', "--output-format", "concise"])
    assert on_25_11.code == 0, on_25_11.stdout
