"""Every output format on three small inputs (fixtures/lint/), compared byte for byte.

Only rules whose messages the lint owns are selected (fixtures/lint/nemo-migrate.toml, which also
makes fixtures/lint the root of SARIF paths), so the goldens change only with the lint.
Refresh with NEMO_MIGRATE_UPDATE_SNAPSHOTS=1 after reviewing the difference.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lint_helpers import lint

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
FORMATS = ("full", "concise", "json", "json-lines", "github", "junit", "sarif")


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_format_golden(fmt: str) -> None:
    args = ["legacy.yaml", "automodel.yaml", "train.py", "--config", "nemo-migrate.toml", "--output-format", fmt]
    result = lint(args, FIXTURES)
    assert result.code == 1, result.stderr
    golden = FIXTURES / "golden" / f"fixtures.{fmt}"
    text = result.stdout.replace(__import__("migrate").__version__, "<version>")
    if os.environ.get("NEMO_MIGRATE_UPDATE_SNAPSHOTS"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
