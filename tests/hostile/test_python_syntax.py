"""Python the parser rejects, or literals it cannot evaluate, in every command that reads Python:
one located line at the right place, exit 2, the other inputs still processed, nothing changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hostile_inputs import LEGACY, PLUGIN, TRAIN, located_line, run_in_process, unchanged, write

PY2 = 'print "x"\nfrom nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision="bf16-mixed")\n'


def _commands(name: str) -> dict[str, list[str]]:
    return {
        "lint": ["lint", name, "plugin.py", "--output-format", "concise"],
        "into": ["convert", str(LEGACY), "--into", name, "--into", "train.py"],
        "verify": ["verify", str(LEGACY), "--script", name, "--no-numeric"],
    }


@pytest.mark.parametrize("command", ["lint", "into", "verify"])
@pytest.mark.parametrize("line", [1, 3])
def test_python_2_print_is_reported_at_its_own_line(tmp_path: Path, command: str, line: int) -> None:
    lines = PY2.splitlines(keepends=True)
    text = "".join(lines[1:line] + lines[:1] + lines[line:]) if line > 1 else PY2
    before = write(tmp_path, {"old.py": text, "plugin.py": PLUGIN, "train.py": TRAIN})
    run = run_in_process(_commands("old.py")[command], tmp_path)
    assert run.code == 2
    where = located_line(run.stderr, "old.py")
    assert (where[1], where[2]) == (str(line), "1")
    assert where[3].startswith("invalid Python: Missing parentheses in call to 'print'")
    if command == "lint":
        assert "plugin.py:3:" in run.stdout and f"old.py:{line}:1: NMP002" in run.stdout
    if command == "into":
        assert "MegatronMixedPrecision" in (tmp_path / "train.py").read_text(encoding="utf-8")
    assert unchanged(tmp_path, before, "old.py", "plugin.py")


ODD_LITERALS = {
    "unknown \\N escape": ('"\\N{NO SUCH NAME}"', "literal"),
    "truncated \\x escape": ('"\\x"', "literal"),
    "bytes and str": ('"a" b"b"', "invalid Python: cannot mix bytes and nonbytes literals"),
    "lone surrogate": ('"\\ud800"', "literal"),
    "5,000-digit integer": ("9" * 5000, "invalid Python: an integer literal of 5000 digits"),
    "control character": ('"bf16"\x01', "invalid Python: invalid non-printable character U+0001"),
}


@pytest.mark.parametrize("case", sorted(ODD_LITERALS))
def test_odd_literals_in_the_plugin_are_never_a_crash(tmp_path: Path, case: str) -> None:
    value, expected = ODD_LITERALS[case]
    if case.endswith("integer") and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python has no integer-string conversion limit")
    odd = f'from nemo import lightning as nl\n\ntrainer = nl.Trainer(plugins=[nl.MegatronMixedPrecision(precision={value})])\n'
    before = write(tmp_path, {"odd.py": odd, "plugin.py": PLUGIN, "train.py": TRAIN})
    for command, args in _commands("odd.py").items():
        run = run_in_process(args, tmp_path)  # catch_exceptions=False: a traceback fails the test
        if expected == "literal" and command == "lint":  # lint reports an unreadable value as nothing to check
            assert run.code in (0, 1), (command, run.stderr)
        else:
            assert run.code == 2, (command, run.stderr)
            where = located_line(run.stderr, "odd.py")
            assert where[1] == "3" and (expected in where[3] or "literal" in where[3]), (command, where[0])
            assert len(where[0]) < 300
        assert unchanged(tmp_path, before, "odd.py", "plugin.py")
    assert "MegatronMixedPrecision" in (tmp_path / "train.py").read_text(encoding="utf-8")
