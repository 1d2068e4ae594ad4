"""JUnit XML: one test suite per file, one failing test case per diagnostic (a passing one if clean)."""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import quoteattr


def render(data) -> str:
    by_file = defaultdict(list)
    for d in data.diagnostics:
        by_file[d.path].append(d)
    paths = list(dict.fromkeys([*data.files, *by_file]))
    tests = sum(max(len(by_file.get(path, [])), 1) for path in paths)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="nemo-migrate" tests="{tests}" failures="{len(data.diagnostics)}">']
    for path in paths:
        found = by_file.get(path, [])
        out.append(f'  <testsuite name={quoteattr(path)} tests="{max(len(found), 1)}" failures="{len(found)}">')
        if not found:
            out.append(f'    <testcase name="nemo-migrate" classname={quoteattr(path)}/>')
        for d in found:
            name = quoteattr(f"{d.code} {d.name}")
            out.append(f'    <testcase name={name} classname={quoteattr(path)} file={quoteattr(path)} line="{d.line}" column="{d.col}">')
            out.append(f'      <failure message={quoteattr(d.message)} type={quoteattr(d.severity)}>'
                       f'{_text(f"{d.path}:{d.line}:{d.col}: {d.code} {d.message}")}</failure>')
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
