"""Files lint cannot read or parse are reported in every output format (NMP002, as ruff reports I/O
errors as E902), the summary says so, the run exits 2 and the other files are still linted; rule
input errors are reported wherever they come from; JUnit stays well-formed XML whatever a message
holds."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hostile_inputs import LEGACY_WARNS, PLUGIN, run_in_process, unchanged, write

from migrate.errors import InputError, Location
from migrate.lint import registry
from migrate.lint.diagnostic import Diagnostic
from migrate.lint.output import FORMATS, RenderInput, render
from migrate.lint.runner import LintSettings, lint_text

UNREADABLE = {
    "broken.yaml": ("trainer:\n  precision: [bf16\n", 3, 1),
    "old.py": ('print "x"\nfrom nemo import lightning as nl\nplugin = nl.MegatronMixedPrecision()\n', 1, 1),
    "missing.yaml": (None, 1, 1),
    "latin1.yaml": (None, 2, 21),  # the undecodable byte
}
READABLE = {"ok.yaml": LEGACY_WARNS, "plugin.py": PLUGIN}


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    before = write(tmp_path, {**READABLE, **{n: t for n, (t, _, _) in UNREADABLE.items() if t is not None}})
    (tmp_path / "latin1.yaml").write_bytes("trainer:\n  precision: bf16 # é\n".encode("latin-1"))
    before["latin1.yaml"] = (tmp_path / "latin1.yaml").read_bytes()
    return tmp_path, before


def _records(fmt: str, text: str) -> list[tuple[str, str, int, int]]:
    """(code, file, line, column) of every result, read the way each format's consumers read it."""
    if fmt == "json":
        return [(r["code"], r["filename"], r["location"]["row"], r["location"]["column"]) for r in json.loads(text)]
    if fmt == "json-lines":
        return [(r["code"], r["filename"], r["location"]["row"], r["location"]["column"])
                for r in map(json.loads, text.splitlines())]
    if fmt == "sarif":
        (run,) = json.loads(text)["runs"]
        assert "NMP002" in [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        return [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                 r["locations"][0]["physicalLocation"]["region"]["startLine"],
                 r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in run["results"]]
    if fmt == "junit":
        return [(case.get("name").split()[0], case.get("file"), int(case.get("line")), int(case.get("column")))
                for case in ET.fromstring(text).iter("testcase") if case.find("failure") is not None]
    if fmt == "github":
        out = []
        for line in text.splitlines():
            props = dict(p.split("=", 1) for p in line.split(" ", 1)[1].split("::")[0].split(","))
            out.append((props["title"].split("(")[1].rstrip(")"), props["file"], int(props["line"]), int(props.get("col", 1))))
        return out
    return [(line.split()[1], *line.split(":")[:1], *map(int, line.split(":")[1:3]))
            for line in text.splitlines() if line and not line.startswith((" ", "\t")) and ": NMP" in line]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unreadable_files_are_in_every_report(project, fmt: str) -> None:
    folder, before = project
    run = run_in_process(["lint", *UNREADABLE, *READABLE, "--output-format", fmt], folder)
    assert run.code == 2
    records = _records(fmt, run.stdout)
    for name, (_, line, col) in UNREADABLE.items():
        assert ("NMP002", name, line, col) in records, (name, records)
    assert any(code == "NMP102" and path == "ok.yaml" for code, path, _, _ in records)  # still linted
    assert any(code == "NMP302" and path == "plugin.py" for code, path, _, _ in records)
    for name in UNREADABLE:  # and one located line each on stderr
        assert sum(line.startswith(f"{name}:") for line in run.stderr.splitlines()) == 1
    assert unchanged(folder, before, "ok.yaml", "plugin.py", "broken.yaml", "old.py", "latin1.yaml")


def test_the_summary_counts_unreadable_files(project) -> None:
    folder, _ = project
    alone = run_in_process(["lint", "latin1.yaml"], folder)
    assert alone.code == 2
    assert "All checks passed" not in alone.stderr
    assert alone.stderr.splitlines()[-1] == "Found 1 diagnostic (1 error) in 1 of 1 file. 1 file could not be linted."
    everything = run_in_process(["lint", *UNREADABLE, *READABLE], folder)
    assert everything.stderr.splitlines()[-1].startswith("Found ")
    assert " in 6 of 6 files. 4 files could not be linted." in everything.stderr.splitlines()[-1]


def test_an_os_error_is_reported_at_the_file(project, monkeypatch) -> None:
    folder, _ = project

    import migrate.inputs

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(migrate.inputs.os, "open", denied)  # every read goes through migrate.inputs
    run = run_in_process(["lint", "ok.yaml", "--output-format", "json"], folder)
    assert run.code == 2
    (record,) = json.loads(run.stdout)
    assert record["code"] == "NMP002" and record["message"] == "cannot read: Permission denied"
    assert run.stderr.splitlines()[0] == "ok.yaml: NMP002 [error] cannot read: Permission denied"


@pytest.mark.parametrize("code, text, name", [
    ("NMP301", PLUGIN, "plugin.py"),
    ("NMP201", "optimizer:\n  _target_: torch.optim.AdamW\nmodel:\n  _target_: nemo_automodel.X\n", "recipe.yaml"),
])
def test_an_input_error_inside_a_python_or_automodel_rule_is_reported(monkeypatch, code: str, text: str, name: str) -> None:
    def unreadable(ctx):
        raise InputError(Location(name, 2, 5), "a value it needs cannot be read")
        yield  # a generator, like every rule

    monkeypatch.setitem(registry.RULES, code, dataclasses.replace(registry.RULES[code], check=unreadable))
    result = lint_text(text, name, LintSettings())
    assert result.kind != "error"
    assert [(d.code, d.line, d.col, d.message) for d in result.diagnostics if d.code == "NMP002"] == [
        ("NMP002", 2, 5, f"{code} could not read a value it needs: a value it needs cannot be read")
    ]


def test_a_legacy_rule_input_error_is_left_to_the_config_error_rule(monkeypatch) -> None:
    """A legacy config that cannot be evaluated is reported once, by NMP100 (or a refusal rule)."""
    def unreadable(ctx):
        raise InputError(Location("x.yaml", 2, 3), "unreadable")
        yield

    monkeypatch.setitem(registry.RULES, "NMP107", dataclasses.replace(registry.RULES["NMP107"], check=unreadable))
    result = lint_text("trainer:\n  precision: ???\nmodel:\n  megatron_amp_O2: True\n", "x.yaml", LintSettings())
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["NMP100"]


def test_junit_is_well_formed_whatever_a_message_holds(tmp_path: Path) -> None:
    hostile = "".join(map(chr, range(32))) + "<&>\"' \ud800 \ufffe end"
    diagnostics = [Diagnostic("a\x1b.yaml", 3, 5, 3, 6, "NMP002", "unreadable-input", "error", hostile)]
    text = render("junit", RenderInput(diagnostics, ["a\x1b.yaml", "clean.yaml"], {}, tmp_path, frozenset()))
    root = ET.fromstring(text.encode("utf-8"))  # parses: the document is well-formed
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None and failure.get("message").startswith("\\x00\\x01")
    assert "\t\n" in failure.get("message") and "<&>\"'" in failure.get("message") and "\\ud800" in failure.get("message")
    assert [s.get("name") for s in root.iter("testsuite")] == ["a\\x1b.yaml", "clean.yaml"]
