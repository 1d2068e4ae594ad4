"""Every real config of the shared development corpus converts, is skipped, or fails with a located error."""

from __future__ import annotations

import re
from pathlib import Path

from migrate.convert import ConvertOptions, convert_path

LOCATED = re.compile(r"^.+\.ya?ml(:\d+(:\d+)?)?: \S")


def test_corpus_has_no_crash_and_only_located_errors(corpus_dev: Path) -> None:
    counts = {"converted": 0, "skipped": 0, "failed": 0}
    for path in sorted(corpus_dev.glob("*.yaml")):
        result = convert_path(str(path), ConvertOptions())
        counts[result.status] += 1
        if result.status == "failed":
            assert LOCATED.match(result.message), result.message
            assert "\n" not in result.message
        if result.status == "converted":
            compile(result.output, str(path), "exec")
    assert counts["converted"] >= 120
    assert counts["failed"] <= 5


def test_corpus_converts_under_the_2x_semantics_too(corpus_dev: Path) -> None:
    for path in sorted(corpus_dev.glob("*.yaml")):
        result = convert_path(str(path), ConvertOptions(nemo1_version="2.x", target_nemo="2.2"))
        assert result.status in ("converted", "skipped", "failed")
        if result.status == "failed":
            assert LOCATED.match(result.message), result.message
