"""Every rule's own examples are its tests: the bad one reports exactly at `bad_at`, the good one not at all."""

from __future__ import annotations

import re

import pytest

from migrate.lint.diagnostic import SEVERITIES
from migrate.lint.registry import RULES, find_rule
from migrate.lint.rule import KINDS
from migrate.lint.runner import LintSettings, lint_text

SETTINGS = LintSettings()


def positions(text: str, suffix: str, code: str) -> list[tuple[int, int]]:
    result = lint_text(text, f"example{suffix}", SETTINGS)
    assert result.error is None or code == "NMP002", result.error  # NMP002 reports the file's error
    return [(d.line, d.col) for d in result.diagnostics if d.code == code]


@pytest.mark.parametrize("code", sorted(RULES))
def test_bad_example_reports_exactly_at_the_documented_positions(code: str) -> None:
    rule = RULES[code]
    assert positions(rule.bad, rule.example_suffix, code) == list(rule.bad_at)


@pytest.mark.parametrize("code", sorted(RULES))
def test_good_example_is_clean_for_the_rule(code: str) -> None:
    rule = RULES[code]
    assert positions(rule.good, rule.example_suffix, code) == []


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_metadata_is_complete(code: str) -> None:
    rule = RULES[code]
    assert re.fullmatch(r"NMP\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.severity in SEVERITIES and rule.kind in KINDS
    assert rule.summary and not rule.summary.endswith(".") and "\n" not in rule.summary
    assert len(rule.explanation) > 80 and rule.bad_at
    assert find_rule(rule.name) is rule and find_rule(code.lower()) is rule


def test_rule_names_are_unique() -> None:
    assert len({rule.name for rule in RULES.values()}) == len(RULES)


def test_lint_reports_the_nemo1_refusal_at_its_line_once() -> None:
    """A config the spec builder refuses is reported by its own rule at the key, not twice."""
    text = "trainer:\n  precision: bf16\nmodel:\n  fp8: True\n  transformer_engine: True\n"
    result = lint_text(text, "refused.yaml", SETTINGS)
    errors = [(d.code, d.line, d.col) for d in result.diagnostics if d.severity == "error"]
    assert errors == [("NMP101", 4, 3)]


def test_unresolvable_value_becomes_nmp100() -> None:
    text = "trainer:\n  precision: ???\nmodel:\n  megatron_amp_O2: True\n"
    result = lint_text(text, "mandatory.yaml", SETTINGS)
    assert [(d.code, d.line, d.col) for d in result.diagnostics if d.code == "NMP100"] == [("NMP100", 2, 3)]


def test_nemo1_version_changes_the_semantics_applied() -> None:
    """`transformer_engine: False` + mcore: FP8 runs on NeMo 1.23 but not in the NeMo 1.0 code of 2.x."""
    from migrate.lint.context import LintOptions

    text = (
        "trainer:\n  precision: bf16\nmodel:\n  mcore_gpt: True\n  transformer_engine: False\n"
        "  fp8: True\n  fp8_hybrid: True\n"
    )
    old = lint_text(text, "x.yaml", SETTINGS)
    new = lint_text(text, "x.yaml", LintSettings(options=LintOptions(nemo1_version="2.x")))
    assert "NMP103" not in {d.code for d in old.diagnostics}
    assert [(d.line, d.col) for d in new.diagnostics if d.code == "NMP103"] == [(5, 3)]
