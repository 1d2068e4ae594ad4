"""Every finding verify shows carries its NMP code and severity, in the table, the `-q` line and the JSON,
the same code `convert` reports for the fact (one vocabulary: `nemo-migrate rule NMP121` explains it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import run_cli
from migrate.codes import code_for
from migrate.convert import ConvertOptions, convert_path
from migrate.verify.check import structural_check
from migrate.verify.report_codes import projection_finding
from migrate.verify.twin import expressible_twin

VERIFY = Path(__file__).resolve().parents[2] / "fixtures" / "verify"


def test_a_limitation_row_shows_its_code_and_severity_in_every_format(tmp_path: Path) -> None:
    config = f"{VERIFY}/o1_bf16.yaml"
    table = run_cli(["verify", config, "--no-numeric", "--color", "never"])
    assert table.code == 0
    assert "NMP121 [warning] NeMo 2.0 always trains with half weights" in " ".join(table.stdout.replace("│", " ").split())
    assert "1 known NeMo 2.0 limitation(s) (NMP121, warning)" in table.stdout
    quiet = run_cli(["verify", config, "--no-numeric", "-q"])
    assert quiet.stdout.strip().endswith("(0 differ, 1 limitation(s) [NMP121]; numeric check: not run)")
    report = tmp_path / "report.json"
    assert run_cli(["verify", config, "--no-numeric", "-o", str(report)]).code == 0
    rows = {row["key"]: row for row in json.loads(report.read_text())["structural"]["rows"]}
    assert (rows["amp_mode"]["code"], rows["amp_mode"]["name"], rows["amp_mode"]["severity"]) == ("NMP121", "o1-autocast", "warning")
    assert (rows["params_dtype"]["code"], rows["params_dtype"]["severity"]) == (None, None)  # equal: no finding


def test_approximate_automodel_rows_carry_the_torchao_warning_code() -> None:
    result = run_cli(["verify", f"{VERIFY}/delayed_hybrid.yaml", "--target", "automodel", "--no-numeric", "-q"])
    assert "6 approximate [NMP123]" in result.stdout
    convert = run_cli(["convert", f"{VERIFY}/delayed_hybrid.yaml", "--target", "automodel"])
    assert "NMP123 [warning] AutoModel's fp8 block runs torchao float8 training" in convert.stderr


@pytest.mark.parametrize("name", ["o1_bf16.yaml", "fp16_o1.yaml", "reduce_amax_false.yaml", "o1_fp8.yaml"])
def test_what_the_numeric_check_replaces_is_reported_with_converts_code(name: str) -> None:
    """The numeric check's list of settings the twin replaced (O1, NeMo 1.0's scaler rule, reduce_amax) names
    each with the code and severity convert printed for the same config."""
    result = structural_check(str(VERIFY / name), ConvertOptions())
    _, projections = expressible_twin(result.legacy_run, result.migrated_run)
    assert projections
    reported = {(code_for(f.code, f.severity), f.code, f.severity) for f in convert_path(str(VERIFY / name), ConvertOptions()).findings}
    for text in projections:
        assert projection_finding(text) in reported, text
