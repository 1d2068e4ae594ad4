"""SARIF 2.1.0 as GitHub code scanning reads it: rule metadata, repo-relative URIs, full regions."""

from __future__ import annotations

import json

from migrate import __version__
from migrate.lint.registry import RULES
from migrate.lint.rule import KINDS
from migrate.lint.runner import relative_to_root

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DISTRIBUTION = "nemo-migrate"


def information_uri() -> str | None:
    """This tool's documentation: the `Documentation` entry of pyproject's [project.urls], as the installed
    package records it (one place to change). None when the package is not installed: SARIF makes the
    field optional."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "documentation" and url.strip():
            return url.strip()
    return None


def _rule(rule) -> dict:
    help_text = f"{rule.summary}.\n\n{rule.explanation}"
    suffix = "python" if rule.kind == "python" else "yaml"
    markdown = (
        f"{rule.explanation}\n\nExample:\n\n```{suffix}\n{rule.bad}```\n\nUse instead:\n\n```{suffix}\n{rule.good}```\n"
    )
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary[:1024]},
        "fullDescription": {"text": rule.explanation[:1024]},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [KINDS[rule.kind]], "problem.severity": rule.severity},
    }


def document(data) -> dict:
    codes = sorted(data.selected | {d.code for d in data.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    results = []
    for d in data.diagnostics:
        results.append({
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": LEVELS[d.severity],
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": relative_to_root(d.path, data.root), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": d.line, "startColumn": d.col, "endLine": d.end_line, "endColumn": d.end_col},
                }
            }],
        })
    driver = {"name": "nemo-migrate", "semanticVersion": __version__}
    uri = information_uri()
    if uri is not None:
        driver["informationUri"] = uri
    driver["rules"] = [_rule(RULES[code]) for code in codes]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def render(data) -> str:
    return json.dumps(document(data), indent=2) + "\n"
