"""The dev corpus of shipped configs: no crash, no unreadable file, and diagnostic counts per rule
that only change on purpose (snapshot in fixtures/lint/corpus_counts.json; regenerate it with
NEMO_MIGRATE_UPDATE_GOLDEN=1 after checking the difference)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from golden import check_golden

from migrate.lint.runner import LintSettings, lint_file

SNAPSHOT = Path(__file__).resolve().parents[2] / "fixtures" / "lint" / "corpus_counts.json"
# Shipped files that NeMo 1.0's own loader (OmegaConf) refuses: each must be a located error.
UNREADABLE = {
    # launcher 24.12 nemotron_340b.yaml sets model.ub_tp_comm_overlap twice (OmegaConf 2.3 and 2.4 raise).
    "launcher-24.12__launcher_scripts__conf__training__nemotron__nemotron_340b.yaml": ":164:3: NMP002 [error] invalid YAML: found duplicate key 'ub_tp_comm_overlap'",
}


def _lint_corpus(corpus: Path) -> list:
    settings = LintSettings(root=corpus)
    return [lint_file(str(path), settings) for path in sorted(corpus.glob("*.yaml"))]


def test_corpus_lints_without_errors_and_matches_the_snapshot(corpus_dev: Path) -> None:
    results = _lint_corpus(corpus_dev)
    errors = {Path(r.path).name: r.error for r in results if r.error}
    assert errors.keys() == UNREADABLE.keys()
    for name, expected in UNREADABLE.items():
        assert expected in errors[name]
    observed = {
        "files": len(results),
        "kinds": dict(sorted(Counter(r.kind for r in results).items())),
        "diagnostics_per_rule": dict(sorted(Counter(d.code for r in results for d in r.diagnostics).items())),
    }
    check_golden(SNAPSHOT, json.dumps(observed, indent=2) + "\n", keep_empty=True)


def test_corpus_output_is_stable_between_runs(corpus_dev: Path) -> None:
    first = [d for r in _lint_corpus(corpus_dev) for d in r.diagnostics]
    second = [d for r in _lint_corpus(corpus_dev) for d in r.diagnostics]
    assert first == second
    assert all(d.line >= 1 and d.col >= 1 and (d.end_line, d.end_col) > (d.line, d.col) for d in first)
