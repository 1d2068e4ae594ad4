"""Every output format on three small inputs (fixtures/lint/), compared byte for byte.

Only rules whose messages the lint owns are selected (fixtures/lint/nemo-migrate.toml, which also
makes fixtures/lint the root of SARIF paths), so the goldens change only with the lint.
Regenerate after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden import check_golden
from lint_helpers import lint

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lint"
FORMATS = ("full", "concise", "json", "json-lines", "github", "junit", "sarif")


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_format_golden(fmt: str) -> None:
    args = ["legacy.yaml", "automodel.yaml", "train.py", "--config", "nemo-migrate.toml", "--output-format", fmt]
    result = lint(args, FIXTURES)
    assert result.code == 1, result.stderr
    text = result.stdout.replace(__import__("migrate").__version__, "<version>")
    check_golden(FIXTURES / "golden" / f"fixtures.{fmt}", text, keep_empty=True)
