"""convert and verify agree with each other: for every config convert accepts, `verify --no-numeric` of
convert's own output is equivalent, and every row that is not equal is a limitation (or, for AutoModel,
an approximate FP8 row) that convert reported as the same finding, with the same NMP code and severity
that verify's reports show (issue: "Convert and verify agree with each other"; one vocabulary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.codes import code_for
from migrate.convert import ConvertOptions, convert_path
from migrate.errors import InputError
from migrate.verify.check import structural_check
from migrate.verify.report_codes import row_finding

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(p for p in (ROOT / "fixtures" / "convert").glob("*.yaml") if not p.stem.startswith(("err_", "skip_", "multi_run")))
TARGETS = ("nemo2", "bridge", "automodel")


def _disagreements(path: Path, target: str) -> list[str]:
    options = ConvertOptions(target=target)
    try:
        result = structural_check(str(path), options)
    except InputError:
        return []  # refused or skipped by convert too
    findings = convert_path(str(path), options).findings
    codes = {finding.code for finding in findings}
    reported = {(code_for(f.code, f.severity), f.code, f.severity) for f in findings}
    problems = [f"{row.key}: {row.legacy!r} -> {row.migrated!r} differs" for row in result.structural.rows if row.status == "differs"]
    problems += [
        f"{row.key}: limitation {row.code!r} that convert did not report"
        for row in result.structural.rows
        if row.status == "limitation" and row.code not in codes
    ]
    problems += [
        f"{row.key}: verify shows {shown} but convert reported {sorted(r for r in reported if r[1] == shown[1])}"
        for row in result.structural.rows
        if (shown := row_finding(row)) is not None and shown not in reported
    ]
    return problems + list(result.structural.errors)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_conversions_verify_against_themselves(path: Path, target: str) -> None:
    assert _disagreements(path, target) == []


@pytest.mark.parametrize("target", TARGETS)
def test_corpus_conversions_verify_against_themselves(corpus_dev: Path, target: str) -> None:
    found = {path.name: problems for path in sorted(corpus_dev.glob("*.yaml")) if (problems := _disagreements(path, target))}
    assert found == {}
