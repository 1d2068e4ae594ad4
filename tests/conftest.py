"""Shared test helpers: where the repository's fixtures and the optional shared corpus live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# NEMO_MIGRATE_CORPUS_DEV points elsewhere (e.g. a copy carried to a GPU machine).
CORPUS_DEV = Path(os.environ.get("NEMO_MIGRATE_CORPUS_DEV") or ROOT.parent / "shared" / "corpus" / "dev")


@pytest.fixture
def corpus_dev() -> Path:
    if not CORPUS_DEV.is_dir():
        pytest.skip(f"the shared development corpus ({CORPUS_DEV}) is not present")
    return CORPUS_DEV
