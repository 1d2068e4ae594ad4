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


def _python_codes(text: str, target_nemo: str | None = None) -> list[tuple[str, int, int, str]]:
    from migrate.lint.context import LintOptions

    settings = SETTINGS if target_nemo is None else LintSettings(options=LintOptions(target_nemo=target_nemo))
    result = lint_text(text, "train.py", settings)
    assert result.error is None, result.error
    return [(d.code, d.line, d.col, d.message) for d in result.diagnostics]


FP4_PLUGIN = (
    "from nemo import lightning as nl\n\n"
    "plugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp4='e2m1', fp4_recipe='nvfp4')\n"
)


@pytest.mark.parametrize("target", [None, "2.6", "2.7"])
def test_nmp301_accepts_fp4_arguments_from_nemo_2_6(target: str | None) -> None:
    assert _python_codes(FP4_PLUGIN, target) == []


def test_nmp301_reports_fp4_for_an_older_target_release() -> None:
    found = _python_codes(FP4_PLUGIN, "2.5")
    assert [(code, line, col) for code, line, col, _ in found] == [("NMP301", 3, 60), ("NMP301", 3, 72)]
    assert found[0][3] == (
        "MegatronMixedPrecision has no argument 'fp4' in NeMo 2.5 (--target-nemo); the call raises TypeError "
        "there (NeMo 2.6, 2.7 accept it)"
    )


def test_nmp301_follows_the_target_release_for_removed_arguments_too() -> None:
    """NeMo 2.3 dropped fp8_params (2.4 brought it back as a deprecated alias)."""
    text = "from nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision='bf16-mixed', fp8_params=True)\n"
    assert [c[0] for c in _python_codes(text, "2.3")] == ["NMP301"]
    assert _python_codes(text, "2.4") == [] and _python_codes(text) == []


def test_nmp306_applies_to_the_bridge_config_and_skips_run_time_values() -> None:
    bridge = (
        "from megatron.bridge.training.mixed_precision import MixedPrecisionConfig\n\n"
        "mp = MixedPrecisionConfig(bf16=True, fp8='hybrid', fp4='e2m1')\n"
    )
    assert [(c[0], c[1], c[2]) for c in _python_codes(bridge)] == [("NMP306", 3, 52)]
    dynamic = FP4_PLUGIN.replace("fp4_recipe='nvfp4'", "fp8=FORMAT")
    assert _python_codes(dynamic) == []
