"""Every output format, the summary line and the GitHub step summary count the same diagnostics.

A run with an error, warnings, informational diagnostics (below the default --fail-on, so not shown
unless asked), an unreadable file and a clean file: each format lists exactly the diagnostics at or
above the shown severity, and the stderr summary and the step summary state that same number.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lint_helpers import lint, write

REFUSED = "trainer:\n  precision: bf16\nmodel:\n  fp8: True\n  transformer_engine: True\n"  # NMP101 error
O1 = "trainer:\n  precision: bf16\nmodel:\n  megatron_amp_O2: False\n"  # NMP121 / NMP125 warnings, infos
FP16 = "trainer:\n  precision: 16\nmodel:\n  megatron_amp_O2: False\n  native_amp_init_scale: 65536\n"
CLEAN = "trainer:\n  precision: bf16\n  gradient_clip_val: 1.0\nmodel:\n  megatron_amp_O2: True\n"
BROKEN = "trainer:\n  precision: bf16\n  precision: 16\n"  # duplicate key: NMP002


def _count(fmt: str, out: str) -> int:
    if fmt in ("full", "concise"):
        return len(re.findall(r"^\S+\.yaml:\d+:\d+: NMP\d{3} \[", out, re.M))
    if fmt == "json":
        return len(json.loads(out))
    if fmt == "json-lines":
        return len([line for line in out.splitlines() if json.loads(line)])
    if fmt == "github":
        return len(re.findall(r"^::(error|warning|notice) ", out, re.M))
    if fmt == "junit":
        root = ET.fromstring(out)
        failures = len(root.findall(".//failure"))
        assert int(root.get("failures")) == failures == sum(int(s.get("failures")) for s in root.findall("testsuite"))
        return failures
    if fmt == "sarif":
        return len(json.loads(out)["runs"][0]["results"])
    raise AssertionError(fmt)


def _summary_count(stderr: str) -> int:
    last = stderr.strip().splitlines()[-1]
    match = re.match(r"Found (\d+) diagnostics? ", last)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("extra", [[], ["--show-info"], ["--min-severity", "error"]], ids=["default", "show-info", "errors"])
def test_formats_summary_and_step_summary_count_the_same(tmp_path: Path, extra: list[str]) -> None:
    for name, text in {"a.yaml": REFUSED, "b.yaml": O1, "c.yaml": FP16, "d.yaml": CLEAN, "e.yaml": BROKEN}.items():
        write(tmp_path, f"conf/{name}", text)
    counts = {}
    for fmt in ("full", "concise", "json", "json-lines", "github", "junit", "sarif"):
        result = lint(["conf", "--output-format", fmt, *extra], tmp_path)
        assert result.code == 2, result.stderr  # the unreadable file decides the status
        counts[fmt] = _count(fmt, result.stdout)
        counts[f"summary ({fmt})"] = _summary_count(result.stderr)
    step = tmp_path / "step.md"
    lint(["conf", *extra], tmp_path, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step)})
    markdown = step.read_text(encoding="utf-8")
    counts["step summary rows"] = markdown.count("\n| `")
    counts["step summary sentence"] = _summary_count(markdown.splitlines()[2])
    assert len(set(counts.values())) == 1, counts
    shown = counts["json"]
    everything = len(json.loads(lint(["conf", "--output-format", "json", "--show-info"], tmp_path).stdout))
    severities = {record["severity"] for record in json.loads(lint(["conf", "--output-format", "json", *extra], tmp_path).stdout)}
    if extra == ["--show-info"]:
        assert shown == everything and "info" in severities
    elif extra == ["--min-severity", "error"]:
        assert severities == {"error"} and shown == 2  # NMP101 and the unreadable file's NMP002
    else:
        assert severities == {"error", "warning"}
        hidden = re.search(r"(\d+) below warning not shown", lint(["conf"], tmp_path).stderr)
        assert hidden and shown + int(hidden.group(1)) == everything


def test_summary_never_says_all_checks_passed_for_a_file_that_was_not_read(tmp_path: Path) -> None:
    result = lint(["missing.yaml"], tmp_path)
    assert result.code == 2
    assert "All checks passed" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "Found 1 diagnostic (1 error) in 1 of 1 file. 1 file could not be linted.")
    ignored = lint(["missing.yaml", "--ignore", "NMP002"], tmp_path)  # an unreadable file is always reported
    assert (ignored.code, ignored.stderr.strip().splitlines()[-1]) == (2, result.stderr.strip().splitlines()[-1])
