"""`snapshot` and `verify --legacy`: the record format, where its rows go, and every way a record is refused.
NeMo 1.x is not installed here; the record then holds nemo-migrate's model (and says so). The record
NeMo 1.x itself writes is checked by tests/conformance/test_round_trip.py where that environment is cached."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cli_helpers import ROOT, run_cli

from migrate.convert import ConvertOptions, load_config, spec_for
from migrate.legacy.overrides import parse_override
from migrate.legacy.roles import detect_runs
from migrate.verify import snapshot
from migrate.verify.legacy_side import legacy_effective

FP16 = ROOT / "fixtures" / "verify" / "fp16_fp8.yaml"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "old.yaml"
    shutil.copy(FP16, path)
    return path


def record(tmp_path: Path, config: Path, *extra: str) -> tuple[Path, object]:
    out = tmp_path / "legacy.json"
    result = run_cli(["snapshot", str(config), "-o", str(out), *extra])
    return out, result


def test_without_nemo1_the_record_holds_our_model_and_says_so(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, result = record(tmp_path, config)
    assert result.code == 0
    assert "NeMo 1.x is not importable here" in result.stderr and "nemo-migrate's own model" in result.stderr
    document = json.loads(out.read_text())
    assert document["source"] == "model" and "NeMo 1.x was not importable" in document["legacy_side"]
    options = ConvertOptions()
    model = legacy_effective(spec_for(load_config(str(config), options), options))
    assert {key: row["value"] for key, row in document["rows"].items()} == {k: e.value for k, e in model.entries.items()}
    assert document["trainer_builder"] == "gpt" and "pass --trainer-builder" in document["trainer_builder_from"]


def test_verify_reads_the_record_and_names_it_as_the_legacy_side(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, _ = record(tmp_path, config)
    report = tmp_path / "report.json"
    result = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--json", str(report)])
    assert result.code == 0, result.stdout + result.stderr
    assert "legacy side: nemo-migrate 0.1.0's model of NeMo 1.23 (NeMo 1.x was not importable where the record was" in result.stdout
    assert "migrated side: nemo-migrate's tables of NeMo 2.7" in result.stdout
    assert json.loads(report.read_text())["legacy_side"].endswith(f"recorded in {out}")


def test_the_records_rows_replace_the_legacy_column(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, _ = record(tmp_path, config)
    document = json.loads(out.read_text())
    document["rows"]["hysteresis"] = {"value": 7, "why": "edited for the test"}
    out.write_text(json.dumps(document, indent=1))
    report = tmp_path / "report.json"
    result = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--json", str(report)])
    assert result.code == 1
    rows = {row["key"]: row for row in json.loads(report.read_text())["structural"]["rows"]}
    assert (rows["hysteresis"]["legacy"], rows["hysteresis"]["legacy_why"], rows["hysteresis"]["status"]) == (7, "edited for the test", "differs")


def test_without_legacy_the_report_names_our_model(tmp_path, config):
    result = run_cli(["verify", str(config), "--no-numeric"])
    assert "legacy side: nemo-migrate's model of NeMo 1.23" in result.stdout


def _broken(tmp_path, config, monkeypatch, edit) -> tuple[Path, str]:
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, _ = record(tmp_path, config)
    text = edit(out.read_text())
    out.write_text(text)
    return out, text


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "edit, needle, message",
    [
        (lambda t: t.replace('"rows": {', '"rows": {,', 1), '"rows": {,', "not a JSON legacy record"),
        (lambda t: t.replace("nemo-migrate legacy record", "something else"), '"format"', "not a legacy record"),
        (lambda t: t.replace('"version": 1', '"version": 9'), '"version": 9', "legacy record version 9"),
        (lambda t: t.replace('"hysteresis"', '"hysteresys"'), '"hysteresys"', "unknown row 'hysteresys'"),
        (lambda t: t.replace('"source": "model"', '"source": "guess"'), '"source"', "source must be one of"),
        (lambda t: t.replace('"value": 2,', '"value": [2],', 1), None, "must be a JSON scalar"),
        (lambda t: t.replace('"value": 2,', '"value": NaN,', 1), "NaN", "NaN is not JSON"),
    ],
    ids=["not JSON", "no format", "version", "unknown row", "source", "list value", "NaN"],
)
def test_a_bad_record_is_one_located_error_with_exit_2(tmp_path, config, monkeypatch, edit, needle, message):
    out, text = _broken(tmp_path, config, monkeypatch, edit)
    result = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric"])
    assert result.code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    location = lines[0].split(": ", 1)[0]
    assert location.startswith(f"{out}:")
    if needle is not None:
        assert location.split(":")[1] == str(_line_of(text, needle))


def test_a_record_of_another_yaml_or_other_options_is_refused(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, _ = record(tmp_path, config)
    text = out.read_text()
    other = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--set", "model.hysteresis=3"])
    set_line = _line_of(text, '"set"')
    assert other.code == 2 and f"{out}:{set_line}" in other.stderr and "recorded with --set []" in other.stderr
    builder = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--trainer-builder", "bert"])
    assert builder.code == 2 and "recorded for --trainer-builder gpt" in builder.stderr
    release = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--nemo1-version", "1.21"])
    assert release.code == 2 and "recorded for NeMo 1.23" in release.stderr
    config.write_text(config.read_text() + "\n# edited after the snapshot\n")
    changed = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric"])
    assert changed.code == 2 and f"{out}:{_line_of(text, 'config_sha256')}" in changed.stderr
    assert "has changed since" in changed.stderr


def test_the_records_builder_and_release_apply_when_verify_names_none(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    out, result = record(tmp_path, config, "--trainer-builder", "bert", "--nemo1-version", "1.22")
    assert result.code == 0
    report = tmp_path / "report.json"
    verified = run_cli(["verify", str(config), "--legacy", str(out), "--no-numeric", "--json", str(report)])
    assert verified.code == 0, verified.stdout
    rows = {row["key"]: row for row in json.loads(report.read_text())["structural"]["rows"]}
    assert rows["trainer_builder"]["legacy"] == "bert" and rows["hysteresis"]["legacy"] == 1


def test_snapshot_refuses_bad_input_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: None)
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainer: [unclosed\n")
    out = tmp_path / "legacy.json"
    result = run_cli(["snapshot", str(bad), "-o", str(out)])
    assert result.code == 2 and result.stderr.startswith(f"{bad}:") and not out.exists()
    unwritable = run_cli(["snapshot", str(FP16), "-o", str(tmp_path)])
    assert unwritable.code == 2 and "cannot write" in unwritable.stderr


# -- with NeMo 1.x: the payload it is given and the record built from its answer ---------------------

def _case(path: Path, *sets: str, builders=("gpt",)) -> dict:
    options = ConvertOptions(overrides=tuple(parse_override(s) for s in sets))
    config = load_config(str(path), options)
    spec = spec_for(config, options)
    layout = next(layout for layout in detect_runs(config) if layout.run == spec.run)
    return snapshot.nemo1_case(config, layout, options, builders, "id")


def test_nemo1_payload_carries_overrides_builders_and_the_aligner_sft_edit():
    plain = _case(FP16, "model.hysteresis=3", builders=("gpt", "lmpp"))
    assert plain["builders"] == ["MegatronTrainerBuilder", "MegatronLMPPTrainerBuilder"]
    assert plain["sets"] == ["model.hysteresis=3"] and "sections" not in plain
    aligner = _case(ROOT / "fixtures" / "convert" / "aligner_sft_clip_at_launch.yaml")
    assert aligner["sets"] == ["model.precision=${..trainer.precision}"]


def test_nemo1_payload_names_the_sections_of_one_run_of_several():
    options = ConvertOptions(run="actor")
    path = ROOT / "fixtures" / "convert" / "multi_run_ppo.yaml"
    config = load_config(str(path), options)
    spec = spec_for(config, options)
    layout = next(layout for layout in detect_runs(config) if layout.run == spec.run)
    case = snapshot.nemo1_case(config, layout, options, ("gpt",), "id")
    assert case["sections"] == {"model": layout.model, "trainer": layout.trainer}


def _facts(**changes) -> dict:
    base = {"torch_dtype": "fp16", "mcore_gpt": False, "has_first_last_layers_bf16": False, "plugin": "PipelineMixedPrecisionPlugin",
            "model_parallel": {"fp16": False, "bf16": False, "params_dtype": "fp32", "pipeline_dtype": "fp16", "enable_autocast": True},
            "transformer_config": {"fp8": None}, "parallel_transformer": {}, "grad_scale_func_set": True,
            "scaler": {"enabled": True, "init_scale": 65536, "growth_interval": 500, "hysteresis": 4, "min_scale": None}}
    return {**base, **changes}


def test_a_record_from_nemo1_takes_its_rows_and_marks_the_ones_it_cannot_reach(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: "1.23.0")
    seen = []

    def answer(cases, python=None):
        seen.extend(cases)
        return {"versions": {"nemo-toolkit": "1.23.0", "megatron-core": "0.5.0"}, "te_version": "1.2.0",
                "results": [{"id": cases[0]["id"], "builder": cases[0]["builders"][0], "facts": _facts(), "exception": None}]}

    monkeypatch.setattr(snapshot, "run_installed_nemo1", answer)
    out, result = record(tmp_path, config)
    assert result.code == 0, result.stderr
    assert seen[0]["builders"] == ["MegatronTrainerBuilder"]
    document = json.loads(out.read_text())
    assert document["source"] == "nemo" and document["legacy_side"] == "nemo_toolkit 1.23.0, installed (MegatronTrainerBuilder)"
    rows = document["rows"]
    assert (rows["hysteresis"]["value"], rows["loss_scale_window"]["value"]) == (4, 500)
    assert rows["hysteresis"]["why"].startswith("nemo_toolkit 1.23.0: ")
    assert rows["grad_reduce_dtype"]["why"].startswith("nemo-migrate's model (NeMo's builders stop before it)")
    assert document["versions"]["megatron-core"] == "0.5.0"


@pytest.mark.parametrize(
    "answer, code, message",
    [
        ({"not_run": "model.tensor_model_parallel_size cannot be resolved outside the training job"}, 2, "cannot be resolved"),
        ({"exception": "ValueError: Can not use sequence paralllelism without tensor parallelism"}, 2, "NeMo 1.23.0 refuses this config"),
    ],
)
def test_nemo1_refusing_the_config_writes_nothing(tmp_path, config, monkeypatch, answer, code, message):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: "1.23.0")
    monkeypatch.setattr(snapshot, "run_installed_nemo1", lambda cases, python=None: {
        "versions": {}, "te_version": "1.2.0", "results": [{"id": "x", "builder": "MegatronTrainerBuilder", **answer}]})
    out, result = record(tmp_path, config)
    assert result.code == code and message in result.stderr and not out.exists()


def test_a_failed_nemo1_run_is_exit_4(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: "1.23.0")

    def fails(cases, python=None):
        raise snapshot.NemoRunFailed("exit 1: ImportError: no module named apex")

    monkeypatch.setattr(snapshot, "run_installed_nemo1", fails)
    out, result = record(tmp_path, config)
    assert result.code == 4 and "computing the legacy side failed" in result.stderr and not out.exists()


def test_a_recipe_nemo_could_not_build_here_is_exit_4_not_fp8_off(tmp_path, config, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: "1.23.0")
    facts = _facts(mcore_gpt=True, transformer_config={"fp8": "hybrid"}, recipe={"error": "NameError: te"})
    monkeypatch.setattr(snapshot, "run_installed_nemo1", lambda cases, python=None: {
        "versions": {}, "te_version": "1.2.0", "results": [{"id": "x", "builder": "MegatronTrainerBuilder", "facts": facts}]})
    out, result = record(tmp_path, config)
    assert result.code == 4 and "FP8 recipe code failed" in result.stderr and not out.exists()


def test_a_run_without_model_and_trainer_sections_is_refused_before_nemo_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "installed_nemo1", lambda: "1.23.0")
    monkeypatch.setattr(snapshot, "run_installed_nemo1", lambda cases, python=None: pytest.fail("NeMo must not run"))
    out = tmp_path / "legacy.json"
    result = run_cli(["snapshot", str(ROOT / "fixtures" / "convert" / "nemo_model_config.yaml"), "-o", str(out)])
    assert result.code == 2 and "need a model and a trainer section" in result.stderr and not out.exists()


def test_snapshot_quiet_verbose_and_color_options(tmp_path):
    """-q drops the "wrote" line, -v lists every recorded row, --color is checked like every command's."""
    import subprocess
    import sys

    config = tmp_path / "old.yaml"
    config.write_text("trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: True\n", encoding="utf-8")

    def snapshot(*options):
        return subprocess.run([sys.executable, "-m", "migrate.entry", "snapshot", str(config), "-o",
                               str(tmp_path / "legacy.json"), *options], capture_output=True, text=True, check=False)

    quiet, verbose, bad = snapshot("-q"), snapshot("-v"), snapshot("--color", "sometimes")
    assert quiet.returncode == 0 and "wrote" not in quiet.stderr
    assert verbose.returncode == 0 and "wrote" in verbose.stderr and "  params_dtype = " in verbose.stderr
    assert bad.returncode == 2 and "--color" in bad.stderr
