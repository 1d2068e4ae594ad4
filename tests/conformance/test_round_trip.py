"""The two-container workflow between real environments: `snapshot` where NeMo 1.23 is installed (the
record then holds NeMo's own values), `verify --legacy` here (nemo-migrate's tables on the migrated
side) and inside the NeMo 2.7 and Megatron Bridge 0.6.2 environments (the installed classes on the
migrated side). Runs when those environments are cached (`python -m conformance install nemo1-1.23
nemo2-2.7 bridge-0.6.2`) or NEMO_MIGRATE_CONFORMANCE asks for them; skips otherwise."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from cli_helpers import ROOT, run_cli

from conformance.envs import ENVS, installed
from conformance.project_run import run_nemo_migrate

CONFIGS = {
    "fp16_fp8": ("fixtures/verify/fp16_fp8.yaml", ()),
    "lmpp_pipeline": ("fixtures/conformance/fp16_o1_pipeline_parallel.yaml", ("--trainer-builder", "lmpp")),
}


def _needs(*names: str) -> None:
    wanted = os.environ.get("NEMO_MIGRATE_CONFORMANCE", "")
    if wanted == "0":
        pytest.skip("NEMO_MIGRATE_CONFORMANCE=0")
    asked = wanted.lower() in ("1", "all", "true", "yes") or any(
        item.strip() in (name, ENVS[name].stack) for name in names for item in wanted.split(","))
    missing = [name for name in names if not installed(ENVS[name])]
    if missing and not asked:
        pytest.skip(f"conformance environments not installed: {', '.join(missing)} (`python -m conformance install "
                    f"{' '.join(missing)}`)")
    if missing:
        from conformance.envs import install

        for name in missing:
            install(ENVS[name])


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """One snapshot per config, written by nemo-migrate inside the NeMo 1.23 environment."""
    _needs("nemo1-1.23")
    folder = tmp_path_factory.mktemp("round-trip")
    made = {}
    for name, (fixture, options) in CONFIGS.items():
        config = folder / f"{name}.yaml"
        shutil.copy(ROOT / fixture, config)
        done = run_nemo_migrate(ENVS["nemo1-1.23"], ["snapshot", config.name, "-o", f"{name}.json", *options], folder)
        assert done.returncode == 0, done.stderr
        made[name] = (config, folder / f"{name}.json", done.stderr)
    return made


@pytest.mark.parametrize("name", list(CONFIGS))
def test_snapshot_in_nemo1_records_nemos_own_values(records, name):
    _, record, stderr = records[name]
    document = json.loads(record.read_text())
    assert document["source"] == "nemo"
    assert document["versions"]["nemo-toolkit"] == "1.23.0" and document["versions"]["megatron-core"] == "0.5.0"
    assert document["rows"]["precision"]["why"].startswith("nemo_toolkit 1.23.0: ")
    assert "legacy side from nemo_toolkit 1.23.0, installed" in stderr


def test_the_lmpp_record_has_no_scaler_as_nemo_built_none(records):
    rows = json.loads(records["lmpp_pipeline"][1].read_text())["rows"]
    assert rows["loss_scaler"]["value"] == "none" and rows["trainer_builder"]["value"] == "lmpp"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_verify_here_compares_with_the_record(records, name):
    config, record, _ = records[name]
    result = run_cli(["verify", str(config), "--legacy", str(record), "--no-numeric", "--color", "never"])
    assert result.code == 0, result.stdout
    assert "legacy side: nemo_toolkit 1.23.0, installed" in result.stdout
    assert "migrated side: nemo-migrate's tables of NeMo 2.7" in result.stdout


@pytest.mark.parametrize("name", list(CONFIGS))
def test_verify_in_nemo_2_7_builds_the_migrated_side_from_the_real_classes(records, name):
    _needs("nemo2-2.7")
    config, record, _ = records[name]
    done = run_nemo_migrate(ENVS["nemo2-2.7"], ["verify", config.name, "--legacy", record.name, "--no-numeric",
                                                 "--color", "never"], config.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrated side: nemo_toolkit 2.7.3, installed" in done.stdout
    assert "legacy side: nemo_toolkit 1.23.0, installed" in done.stdout


def test_verify_in_bridge_builds_the_migrated_side_from_the_real_classes(records):
    _needs("bridge-0.6.2")
    config, record, _ = records["fp16_fp8"]
    done = run_nemo_migrate(ENVS["bridge-0.6.2"], ["verify", config.name, "--legacy", record.name, "--target", "bridge",
                                                    "--no-numeric", "--color", "never"], config.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migrated side: megatron-bridge 0.6.2, installed" in done.stdout
