"""Deeply nested or very long Python never takes a command down and never makes it slow.

libcst's native parser dies with SIGSEGV on about 1,100 nested brackets and takes quadratic time on
deep expressions; every parse of user Python is guarded first (migrate.nemo2.source_guard). The
5,000-deep cases run in a new process, so a regression shows as a killed process, not a killed test
run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hostile_inputs import (
    LEGACY,
    LEGACY_WARNS,
    PLUGIN,
    TRAIN,
    chain_script,
    located_line,
    nested_script,
    run_in_process,
    run_process,
    unchanged,
    write,
)

from migrate.codemod.rewrite import rewrite_script
from migrate.convert import ConvertOptions, load_config, spec_for
from migrate.errors import InputError
from migrate.lint.runner import LintSettings, lint_text
from migrate.nemo2 import source_guard
from migrate.plan.targets import plan_nemo2
from migrate.verify.nemo2_side import read_plugin

DEEP_COL = len("x = ") + source_guard.MAX_BRACKETS + 1  # the bracket that crosses the limit


def test_lint_of_a_folder_with_a_5000_deep_file_reports_it_and_lints_the_rest(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    before = write(tmp_path, {"conf/deep.py": nested_script(5000), "conf/plugin.py": PLUGIN, "conf/legacy.yaml": LEGACY_WARNS})
    run = run_process(["lint", "conf", "--output-format", "concise"], tmp_path)
    assert run.code == 2, run.stderr
    where = located_line(run.stderr, "conf/deep.py")
    assert (where[1], where[2]) == ("3", str(DEEP_COL)) and "nested too deeply to parse safely" in where[3]
    assert f"conf/deep.py:3:{DEEP_COL}: NMP002 [error] nested too deeply" in run.stdout
    assert "conf/plugin.py:3:" in run.stdout and "NMP302" in run.stdout  # the other files were linted
    assert "conf/legacy.yaml:" in run.stdout and "NMP102" in run.stdout
    assert "1 file could not be linted" in run.stderr
    assert unchanged(tmp_path, before, "conf/deep.py", "conf/plugin.py", "conf/legacy.yaml")


def test_into_a_5000_deep_script_refuses_it_and_rewrites_the_others(tmp_path: Path) -> None:
    before = write(tmp_path, {"deep.py": nested_script(5000), "train.py": TRAIN})
    run = run_process(["convert", str(LEGACY), "--into", "deep.py", "--into", "train.py"], tmp_path)
    assert run.code == 2, run.stderr
    where = located_line(run.stderr, "deep.py")
    assert (where[1], where[2]) == ("3", str(DEEP_COL))
    assert "1 rewritten, 0 unchanged, 1 failed" in run.stderr
    assert unchanged(tmp_path, before, "deep.py")
    assert "MegatronMixedPrecision" in (tmp_path / "train.py").read_text(encoding="utf-8")


def test_verify_of_a_5000_deep_script_is_bad_input(tmp_path: Path) -> None:
    before = write(tmp_path, {"deep.py": nested_script(5000)})
    run = run_process(["verify", str(LEGACY), "--script", "deep.py", "--no-numeric"], tmp_path)
    assert run.code == 2, run.stderr
    where = located_line(run.stderr, "deep.py")
    assert (where[1], where[2]) == ("3", str(DEEP_COL))
    assert unchanged(tmp_path, before, "deep.py")


@pytest.mark.parametrize("terms", [4_000, 20_000])
def test_a_long_flat_expression_is_refused_at_its_line_and_the_other_scripts_rewritten(tmp_path: Path, terms: int) -> None:
    before = write(tmp_path, {"long.py": chain_script(terms), "train.py": TRAIN})
    run = run_in_process(["convert", str(LEGACY), "--into", "long.py", "--into", "train.py"], tmp_path)
    assert run.code == 2
    where = located_line(run.stderr, "long.py")
    assert where[1] == "8" and "an expression more than 500 levels deep" in where[3]
    assert unchanged(tmp_path, before, "long.py")
    assert "MegatronMixedPrecision" in (tmp_path / "train.py").read_text(encoding="utf-8")


# -- the limits: every construct that nests, at the deepest size the guard accepts and one past it --

CONSTRUCTS = {
    "parentheses": lambda n: "(" * n + "1" + ")" * n,
    "lists": lambda n: "[" * n + "1" + "]" * n,
    "calls": lambda n: "f(" * n + "1" + ")" * n,
    "keyword calls": lambda n: "f(a=" * n + "1" + ")" * n,
    "call chain": lambda n: "f" + "()" * n,
    "subscripts": lambda n: "a" + "[0]" * n,
    "attributes": lambda n: "a" + ".b" * n,
    "sum": lambda n: " + ".join(["1"] * (n + 1)),
    "power": lambda n: "2 ** " * n + "2",
    "unary minus": lambda n: "-" * n + "1",
    "not": lambda n: "not " * n + "a",
    "and": lambda n: " and ".join(["a"] * (n + 1)),
    "conditional": lambda n: "1 if c else " * n + "2",
    "lambdas": lambda n: "lambda: " * n + "1",
    "lambda defaults": lambda n: "lambda a=" * n + "1" + ": 0" * n,
    "adjacent strings": lambda n: "(" + " ".join(["'s'"] * (n + 1)) + ")",
    "f-string": lambda n: "f'{" + "+".join(["a"] * (n + 1)) + "}'",
    "walrus": lambda n: "(y := " * n + "1" + ")" * n,
}


def _script(expression: str) -> str:
    """The expression as an argument of the trainer: the line --into reads and rewrites."""
    return f"from nemo import lightning as nl\n\ntrainer = nl.Trainer(\n    devices={expression},\n    precision='bf16-mixed',\n)\n"


def _largest_accepted(make) -> int:
    low, high = 1, 4096
    while high - low > 1:
        middle = (low + high) // 2
        try:
            source_guard.measure(_script(make(middle)))
            low = middle
        except InputError:
            high = middle
    return low


@pytest.fixture(scope="module")
def plan():
    options = ConvertOptions()
    return plan_nemo2(spec_for(load_config(str(LEGACY), options), options), options.target_nemo)


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_the_deepest_accepted_code_is_read_by_every_command(construct: str, plan) -> None:
    make = CONSTRUCTS[construct]
    n = _largest_accepted(make)
    deepest = _script(make(n))
    rewritten = rewrite_script(deepest, "train.py", plan).text  # no RecursionError, no crash
    assert "MegatronMixedPrecision" in rewritten and make(n) in rewritten
    plugin = deepest.replace("nl.Trainer(", "nl.MegatronMixedPrecision(").replace("devices=", "fp8_margin=")
    assert lint_text(plugin, "plugin.py", LintSettings()).kind == "python"
    try:
        assert read_plugin(plugin, "plugin.py", "2.5").arguments["fp8_margin"][1]  # read back, as written
    except InputError as error:  # verify reads literals only, and says so in one short line
        assert "is not a literal" in error.message and len(error.message) < 200
    with pytest.raises(InputError) as refused:
        source_guard.check(_script(make(n + 2)), "train.py")
    assert refused.value.location.line == 4 and "nested too deeply to parse safely" in refused.value.message


def test_the_limits_are_far_below_what_crashes_and_above_realistic_code() -> None:
    """Realistic deep code passes: an encodings-style table of 256 adjacent strings, a 300-branch
    elif chain, a long string concatenation, 20 nested data brackets."""
    table = "TABLE = (\n" + "".join(f"    '\\x{i:02x}'\n" for i in range(256)) + ")\n"
    chain = "def pick(x):\n    if x == 0:\n        return 0\n" + "".join(
        f"    elif x == {i}:\n        return {i}\n" for i in range(1, 300)) + "    else:\n        return -1\n"
    concat = "HELP = " + " + ".join(f"'part {i}'" for i in range(120)) + "\n"
    data = "DATA = " + "{'a': [" * 20 + "1" + "]}" * 20 + "\n"
    text = PLUGIN + table + chain + concat + data
    ast.parse(text)
    result = lint_text(text, "real.py", LintSettings())
    assert result.kind == "python" and [d.code for d in result.diagnostics] == ["NMP302"]
    assert source_guard.measure(text).depth < source_guard.MAX_DEPTH // 1.5


def test_tokenizer_errors_are_located_like_python_does(tmp_path: Path) -> None:
    cases = {
        "open.py": ("from nemo import lightning as nl\n\ntrainer = nl.Trainer(devices=8\n", "3:21: invalid Python: '(' was never closed"),
        "string.py": ("from nemo import lightning as nl\nx = '''\nnever closed\n", "2:5: invalid Python: unterminated triple-quoted string literal"),
        "dedent.py": ("from nemo import lightning as nl\nif x:\n        a = 1\n    b = 2\n", "4:"),
    }
    for name, (text, where) in cases.items():
        before = write(tmp_path, {name: text, "train.py": TRAIN})
        run = run_in_process(["convert", str(LEGACY), "--into", name, "--into", "train.py", "--check"], tmp_path)
        assert run.code == 2
        match = located_line(run.stderr, name)
        assert f"{match[1]}:{match[2]}: {match[3]}".startswith(where), match[0]
        assert "train.py: would change" in run.stderr
        assert unchanged(tmp_path, before, name, "train.py")
