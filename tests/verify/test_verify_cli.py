"""The `verify` command: exit statuses, the structural-only notice, JSON output, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from migrate.verify import numeric

VERIFY = "fixtures/verify"
NO_GPU = "no CUDA device"


@pytest.fixture
def no_gpu(monkeypatch):
    """CI has no GPU; make that explicit so the tests mean the same on a GPU machine."""
    monkeypatch.setattr(numeric, "unavailable_reason", lambda *gpus: NO_GPU)


def test_equivalent_config_exits_0_and_says_only_the_structural_check_ran(no_gpu):
    result = run_cli(["verify", f"{VERIFY}/delayed_hybrid.yaml"])
    assert result.code == 0
    assert "Only the structural check ran: the numeric check was skipped (no CUDA device)." in result.stdout
    assert "EQUIVALENT (structural check only)" in result.stdout


def test_naive_migration_exits_1_and_json_has_every_row(no_gpu, tmp_path):
    out = tmp_path / "report.json"
    result = run_cli(["verify", f"{VERIFY}/history_default.yaml", "--script", f"{VERIFY}/naive_history_default.py", "--json", str(out)])
    assert result.code == 1
    assert "NOT EQUIVALENT" in result.stdout
    document = json.loads(out.read_text())
    assert document["verdict"] == "not equivalent" and document["exit_status"] == 1
    assert document["numeric"] == {"ran": False, "skipped_reason": NO_GPU}
    differing = {row["key"]: (row["legacy"], row["migrated"]) for row in document["structural"]["rows"] if row["status"] == "differs"}
    assert differing == {"amax_history_len": (1024, 1), "amax_compute_algo": ("max", "most_recent")}
    assert document["runs"]["migrated"]["recipe"]["kwargs"]["amax_compute_algo"] == "most_recent"


def test_require_gpu_without_gpu_exits_3(no_gpu):
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--require-gpu"])
    assert result.code == 3
    assert "--require-gpu: the numeric check cannot run here: no CUDA device" in result.stderr


def test_gpus_2_without_two_gpus_is_a_missing_machine(no_gpu):
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--gpus", "2", "--require-gpu"])
    assert result.code == 3
    assert "--require-gpu: the numeric check cannot run here: no CUDA device" in result.stderr
    assert run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--gpus", "2", "--target", "automodel"]).code == 2
    assert run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--gpus", "2", "--no-numeric"]).code == 2


def test_bad_input_exits_2_with_a_located_message(no_gpu, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("plugin = (\n")
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--generated", str(broken)])
    assert result.code == 2
    assert result.stderr.startswith(f"{broken}:") and "invalid Python" in result.stderr
    assert run_cli(["verify", str(tmp_path / "missing.yaml")]).code == 2
    assert run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--generated", "a.py", "--script", "b.py"]).code == 2


def test_invalid_legacy_config_is_bad_input(no_gpu, tmp_path):
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text("trainer:\n  precision: bf16\nmodel:\n  fp8: True\n  transformer_engine: True\n")
    result = run_cli(["verify", str(legacy)])
    assert result.code == 2
    assert result.stderr.startswith(f"{legacy}:4:")


def test_plot_needs_the_numeric_check(no_gpu, tmp_path):
    plot = tmp_path / "plot.png"
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--plot", str(plot)])
    assert result.code == 0
    assert "the plot needs the numeric check" in result.stderr
    assert not plot.exists()


def test_no_numeric_skips_without_probing_the_machine(monkeypatch):
    def probe():
        raise AssertionError("--no-numeric must not look for a GPU")

    monkeypatch.setattr(numeric, "unavailable_reason", probe)
    result = run_cli(["verify", f"{VERIFY}/bf16_no_fp8.yaml", "--no-numeric"])
    assert result.code == 0
    assert "skipped (--no-numeric)" in result.stdout


@pytest.fixture
def gpu_that_fails(monkeypatch):
    """A machine that passes every availability probe, then the check raises while it runs."""

    def fail(*args, **kwargs):
        raise RuntimeError("CUDA error: out of memory")

    monkeypatch.setattr(numeric, "unavailable_reason", lambda: None)
    monkeypatch.setattr(numeric, "recipe_unsupported", lambda *configs: None)
    monkeypatch.setattr(numeric, "run_numeric", fail)


@pytest.mark.parametrize("require_gpu", [[], ["--require-gpu"]])
def test_a_failure_inside_the_numeric_check_exits_4_and_never_reads_as_a_pass(gpu_that_fails, tmp_path, require_gpu):
    out = tmp_path / "report.json"
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--json", str(out), *require_gpu])
    assert result.code == 4
    assert "NUMERIC CHECK FAILED: RuntimeError: CUDA error: out of memory" in result.stdout
    assert "VERIFY INCOMPLETE" in result.stdout and "EQUIVALENT" not in result.stdout
    assert "the numeric check failed, so verify could not finish (exit 4)" in result.stderr
    document = json.loads(out.read_text())
    assert document["exit_status"] == 4 and document["verdict"] == "incomplete: the numeric check failed"
    assert document["numeric"] == {"ran": False, "failed": "RuntimeError: CUDA error: out of memory"}


def test_any_exception_counts_as_a_failure_not_only_runtime_errors(monkeypatch):
    def unsupported(*configs):
        raise ValueError("unexpected TE state")

    monkeypatch.setattr(numeric, "unavailable_reason", lambda: None)
    monkeypatch.setattr(numeric, "recipe_unsupported", unsupported)
    result = run_cli(["verify", f"{VERIFY}/delayed_hybrid.yaml"])
    assert result.code == 4
    assert "ValueError: unexpected TE state" in result.stdout


def test_a_recipe_this_gpu_cannot_run_is_a_missing_machine(monkeypatch):
    monkeypatch.setattr(numeric, "unavailable_reason", lambda: None)
    monkeypatch.setattr(numeric, "recipe_unsupported", lambda *configs: "MXFP8BlockScaling cannot run on this GPU: needs sm_100")
    result = run_cli(["verify", f"{VERIFY}/e4m3.yaml", "--require-gpu"])
    assert result.code == 3
    assert run_cli(["verify", f"{VERIFY}/e4m3.yaml"]).code == 0  # without --require-gpu: structural only, said so


def test_json_dash_writes_the_json_alone_to_stdout():
    import json as _json

    result = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--no-numeric", "--json", "-"])
    assert result.code == 0
    document = _json.loads(result.stdout)
    assert document["yaml"] == "fixtures/verify/delayed_hybrid.yaml"
    assert "Structural check" in result.stderr
    assert not (Path(__file__).resolve().parents[2] / "-").exists()


def test_benchmark_that_cannot_run_says_why(monkeypatch):
    from migrate.verify import numeric

    monkeypatch.setattr(numeric, "unavailable_reason", lambda *args: "no CUDA device")
    result = run_cli(["verify", "fixtures/verify/delayed_hybrid.yaml", "--benchmark"])
    assert "--benchmark: not run: no CUDA device" in result.stderr
