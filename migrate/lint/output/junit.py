"""JUnit XML: one test suite per file, one failing test case per diagnostic (a passing one if clean).

Built with xml.etree, which escapes markup; characters XML 1.0 cannot carry at all (C0 controls other
than tab and newline, lone surrogates, U+FFFE/U+FFFF), which a message may quote from its input, are
written as visible escapes (`\\x01`) so the report stays well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 forbids replaced by its Python escape."""
    return _NOT_XML.sub(lambda m: repr(m.group())[1:-1], value)


def _element(parent: ET.Element | None, tag: str, **attributes: str) -> ET.Element:
    clean = {name: xml_text(value) for name, value in attributes.items()}
    return ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)


def render(data) -> str:
    by_file = defaultdict(list)
    for d in data.diagnostics:
        by_file[d.path].append(d)
    paths = list(dict.fromkeys([*data.files, *by_file]))
    tests = sum(max(len(by_file.get(path, [])), 1) for path in paths)
    root = _element(None, "testsuites", name="nemo-migrate", tests=str(tests), failures=str(len(data.diagnostics)))
    for path in paths:
        found = by_file.get(path, [])
        suite = _element(root, "testsuite", name=path, tests=str(max(len(found), 1)), failures=str(len(found)))
        if not found:
            _element(suite, "testcase", name="nemo-migrate", classname=path)
        for d in found:
            case = _element(suite, "testcase", name=f"{d.code} {d.name}", classname=path, file=path,
                            line=str(d.line), column=str(d.col))
            failure = _element(case, "failure", message=d.message, type=d.severity)
            failure.text = xml_text(f"{d.path}:{d.line}:{d.col}: {d.code} {d.message}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
