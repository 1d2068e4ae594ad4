"""Shared test helpers: where the repository's fixtures and the optional shared corpus live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS_DEV = ROOT.parent / "shared" / "corpus" / "dev"


@pytest.fixture
def corpus_dev() -> Path:
    if not CORPUS_DEV.is_dir():
        pytest.skip("the shared development corpus (../shared/corpus/dev) is not present")
    return CORPUS_DEV
