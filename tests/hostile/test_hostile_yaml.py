"""Hostile and broken YAML: every command answers with one located line and exit 2 for the bad
file, keeps processing the good one beside it, and never crashes, hangs or changes an input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hostile_helpers import GOOD_YAML, assert_clean_failure, digest_tree, run

HEAD = "trainer:\n  precision: bf16\n"


def _bomb() -> str:
    lines = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[level]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    lines.append("trainer:\n  precision: *i")
    return "\n".join(lines) + "\n"


def _nested_decode(depth: int) -> str:
    value = "bf16"
    for _ in range(depth):
        value = "${oc.decode:" + value + "}"
    return f'trainer:\n  precision: "{value}"\n'


# name -> (YAML text, expected "line:col: message" fragment)
CASES: dict[str, tuple[str, str]] = {
    "huge_int_under_an_unread_key": (HEAD + "notes: " + "9" * 5000 + "\n", "3:8: invalid YAML: a number of 5000 digits is too large"),
    "alias_bomb_under_the_precision": (_bomb(), "invalid YAML: aliases repeat more than 100,000 values"),
    "nested_oc_decode": (_nested_decode(200), "2:3: trainer.precision = ${oc.decode:"),
    "duplicate_key": (HEAD + "  precision: 16\n", "3:3: invalid YAML: found duplicate key 'precision' (first at line 2)"),
    "duplicate_section": (HEAD + "model:\n  fp8: False\ntrainer:\n  devices: 8\n", "5:1: invalid YAML: found duplicate key 'trainer'"),
    "merge_of_a_scalar": (HEAD + "model:\n  <<: 5\n", "4:7: invalid YAML: expected a mapping or list of mappings for merging"),
    "merge_of_scalars": (HEAD + "model:\n  <<: [1, 2]\n", "4:7: invalid YAML: expected a mapping or list of mappings for merging"),
    "custom_tag_on_a_mapping": ("trainer: !Trainer\n  precision: bf16\n", "1:10: invalid YAML: could not determine a constructor for the tag '!Trainer'"),
    "control_character": (HEAD + "model:\n  name: a\x07b\n", "4:10: invalid YAML: unacceptable character U+0007"),
    "nested_too_deep": (HEAD + "x: " + "[" * 300 + "]" * 300 + "\n", "invalid YAML: nested more than 100 levels deep"),
    "nan_clip": (HEAD + "  gradient_clip_val: .nan\nmodel:\n  optim:\n    name: adam\n", "3:3: gradient_clip_val: .nan is not a clipping threshold"),
    "infinite_loss_scale": (
        "trainer:\n  precision: 16\nmodel:\n  native_amp_init_scale: .inf\n",
        "4:3: model.native_amp_init_scale must be a finite number, got inf",
    ),
    "newline_in_a_value": ('trainer:\n  precision: "bf\\n16\\r"\n', "2:3: trainer.precision: 'bf\\n16\\r' is not a precision"),
    "long_value": ("trainer:\n  precision: " + "x" * 1_500_000 + "\n", "2:3: trainer.precision: 'xxxx"),
}

# Refused by the YAML reader itself: unreadable input for every command (lint exits 2 too). The other
# cases are configs NeMo 1.0 refuses: lint reports them as NMP100 diagnostics (exit 1).
UNREADABLE = {
    "huge_int_under_an_unread_key",
    "alias_bomb_under_the_precision",
    "duplicate_key",
    "duplicate_section",
    "merge_of_a_scalar",
    "merge_of_scalars",
    "custom_tag_on_a_mapping",
    "control_character",
    "nested_too_deep",
}
IN_PROCESS = {
    "convert-bridge": ["convert", "--target", "bridge"],
    "convert-automodel": ["convert", "--target", "automodel"],
    "lint": ["lint", "--output-format", "concise", "--show-info"],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "good.yaml").write_text(GOOD_YAML, encoding="utf-8")
    return tmp_path


def _write_case(folder: Path, text: str) -> None:
    (folder / "bad.yaml").write_bytes(text.encode("utf-8"))


def _check(name: str, case: str, code: int, stdout: str, stderr: str) -> None:
    expected = CASES[case][1]
    assert "Traceback" not in stderr
    lint = name == "lint"
    assert code == (1 if lint and case not in UNREADABLE else 2), (name, stderr)
    reported = stdout if lint else stderr  # lint reports an unreadable file as an NMP002 diagnostic
    bad = [line for line in reported.splitlines() if line.startswith("bad.yaml")]
    assert len(bad) == 1, (name, reported)
    # every command writes "path:line:col: CODE [error] message" (one vocabulary with lint)
    where, message = expected.split(": ", 1) if expected[0].isdigit() else ("", expected)
    line = bad[0]
    assert re.match(r"bad\.yaml:[0-9:]*: NMP[0-9]{3} \[error\] ", line), (name, line)
    assert message in line and (not where or line.startswith(f"bad.yaml:{where}: ")), (name, line)
    assert len(bad[0]) < 1000
    if lint:
        assert "good.yaml:" in stdout
    else:
        assert "1 converted" in stderr and "# ===== nemo-migrate: good.yaml =====" in stdout


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_command_reports_one_located_line_and_goes_on(folder: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli_helpers import run_cli

    _write_case(folder, CASES[case][0])
    before = digest_tree(folder)
    # A child process first: a hang or a crash must fail the test, not stop the run.
    result = run(["convert", "bad.yaml", "good.yaml"], folder)
    assert_clean_failure(result)
    _check("convert", case, result.code, result.stdout, result.stderr)
    monkeypatch.chdir(folder)
    for name, command in IN_PROCESS.items():
        outcome = run_cli([*command, "bad.yaml", "good.yaml"], cwd=folder)
        _check(name, case, outcome.code, outcome.stdout, outcome.stderr)
    assert digest_tree(folder) == before


@pytest.mark.parametrize("case", ["huge_int_under_an_unread_key", "alias_bomb_under_the_precision", "nested_oc_decode", "duplicate_key"])
def test_verify_reports_one_located_line(folder: Path, case: str) -> None:
    text, expected = CASES[case]
    _write_case(folder, text)
    result = run(["verify", "bad.yaml", "--no-numeric"], folder)
    assert_clean_failure(result)
    assert result.code == 2
    assert expected.split(": ", 1)[-1] in result.lines()[0] and " [error] " in result.lines()[0]


def test_infinite_clip_never_clipped_and_is_written_as_no_clipping(folder: Path) -> None:
    _write_case(folder, HEAD + "  gradient_clip_val: .inf\nmodel:\n  optim:\n    name: adam\n")
    result = run(["convert", "bad.yaml"], folder)
    assert result.code == 0, result.stderr
    assert 'optimizer_config_overrides = {"clip_grad": 0.0}  # trainer.gradient_clip_val (line 3): inf: never clips' in result.stdout
    compile(result.stdout, "generated.py", "exec")


def test_explicit_zero_clip_is_named_not_called_unset(folder: Path) -> None:
    _write_case(folder, HEAD + "  gradient_clip_val: 0.0\nmodel:\n  optim:\n    name: adam\n")
    result = run(["convert", "bad.yaml"], folder)
    assert result.code == 0
    clipping = [line for line in result.lines() if "NMP125 [warning]" in line]
    assert clipping and "unset" not in clipping[0] and "trainer.gradient_clip_val: 0.0" in clipping[0]
