"""Output formats: SARIF 2.1.0 as GitHub code scanning reads it, GitHub annotations, JSON, JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from migrate.lint.output import RenderInput, render
from migrate.lint.output.github import annotation, step_summary
from migrate.lint.registry import RULES
from migrate.lint.runner import LintSettings, lint_text

BAD = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_02: True\n  fp8: True\n  transformer_engine: True\n"


def render_input(root: Path, text: str = BAD, name: str = "conf/gpt.yaml") -> RenderInput:
    path = str(root / name)
    result = lint_text(text, path, LintSettings(root=root))
    return RenderInput(result.diagnostics, [path], {path: text}, root, frozenset(RULES))


def test_sarif_has_what_github_code_scanning_requires(tmp_path: Path) -> None:
    data = render_input(tmp_path)
    log = json.loads(render("sarif", data))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "nemo-migrate" and driver["semanticVersion"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == sorted(RULES)
    for rule in driver["rules"]:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"] and len(rule[key]["text"]) <= (1024 if key != "help" else 10_000)
        assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert rule["name"] == RULES[rule["id"]].name
    assert len(run["results"]) == len(data.diagnostics) >= 2
    for result in run["results"]:
        assert result["message"]["text"]
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("note", "warning", "error")
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "conf/gpt.yaml"  # repo-relative, `/`-separated
        region = physical["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert all(isinstance(v, int) and v >= 1 for v in region.values())
        assert (region["endLine"], region["endColumn"]) > (region["startLine"], region["startColumn"])
    assert [r["ruleId"] for r in run["results"]][:2] == ["NMP113", "NMP101"]
    assert run["results"][1]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5, "startColumn": 3, "endLine": 5, "endColumn": 6,
    }


def test_sarif_names_no_foreign_home_page(tmp_path: Path) -> None:
    """Without a Documentation URL in the package metadata, informationUri is left out (SARIF makes it
    optional) rather than pointing at NeMo's repository."""
    import migrate.lint.output.sarif as sarif

    text = render("sarif", render_input(tmp_path))
    driver = json.loads(text)["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver or driver["informationUri"] == sarif.information_uri()
    assert "NVIDIA/NeMo" not in text


def test_sarif_information_uri_is_the_documentation_project_url(tmp_path: Path, monkeypatch) -> None:
    """A `Documentation` entry in pyproject's [project.urls] (as installed) becomes informationUri."""
    import email.message
    import importlib.metadata

    record = email.message.Message()
    record["Project-URL"] = "Homepage, https://example.org/home"
    record["Project-URL"] = "Documentation, https://example.org/nemo-migrate/docs"
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: record)
    driver = json.loads(render("sarif", render_input(tmp_path)))["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://example.org/nemo-migrate/docs"


def test_github_annotation_escapes_and_drops_columns_of_multiline_spans() -> None:
    from migrate.lint.diagnostic import Diagnostic

    one_line = Diagnostic("a,b.yaml", 3, 5, 3, 9, "NMP101", "fp8-format-missing", "error", "50%: bad\nthing")
    assert annotation(one_line) == (
        "::error title=nemo-migrate (NMP101),file=a%2Cb.yaml,line=3,col=5,endColumn=9,endLine=3"
        "::a,b.yaml:3:5: NMP101 50%25: bad%0Athing"
    )
    multi = Diagnostic("a.yaml", 3, 5, 4, 2, "NMP130", "migration-note", "info", "note")
    assert annotation(multi) == "::notice title=nemo-migrate (NMP130),file=a.yaml,line=3,endLine=4::a.yaml:3:5: NMP130 note"


def test_step_summary_lists_every_diagnostic(tmp_path: Path) -> None:
    data = render_input(tmp_path)
    summary = step_summary(data)
    assert summary.startswith("## nemo-migrate lint")
    assert summary.count("\n| `") == len(data.diagnostics)


def test_json_and_json_lines_records(tmp_path: Path) -> None:
    data = render_input(tmp_path)
    records = json.loads(render("json", data))
    lines = [json.loads(line) for line in render("json-lines", data).splitlines()]
    assert records == lines
    first = records[1]
    assert first["code"] == "NMP101" and first["name"] == "fp8-format-missing" and first["severity"] == "error"
    assert first["location"] == {"row": 5, "column": 3} and first["end_location"] == {"row": 5, "column": 6}
    assert first["filename"].endswith("gpt.yaml")


def test_junit_is_xml_with_one_case_per_diagnostic(tmp_path: Path) -> None:
    data = render_input(tmp_path)
    root = ET.fromstring(render("junit", data))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(data.diagnostics) == int(root.get("failures"))
    assert [c.get("line") for c in cases[:2]] == ["4", "5"] and cases[0].find("failure") is not None


def test_full_format_underlines_the_key(tmp_path: Path) -> None:
    data = render_input(tmp_path)
    text = render("full", data)
    assert "5 |   fp8: True\n" in text
    assert "  |   ^^^ fp8-format-missing\n" in text
    assert "\x1b[" not in text
