"""Parse YAML once and keep the line:column of every key and value.

OmegaConf drops positions, so the document is composed with PyYAML (its C loader when
available) and the node tree is walked to map each dotted key path to its spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from migrate.errors import InputError, Location

try:  # the C loader is several times faster on large configs
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that, like OmegaConf's, reads `1e3` and `2e-5` as floats (YAML 1.1 does not)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class Span:
    """1-based start line/column and end line/column (end column exclusive)."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class YamlDocument:
    """One parsed YAML file: its plain data and where each key and value sits."""

    path: str
    text: str
    data: Any
    key_spans: dict[KeyPath, Span]
    value_spans: dict[KeyPath, Span]

    def key_location(self, path: KeyPath) -> Location:
        span = self.key_spans.get(path)
        if span is None:
            return Location(self.path)
        return Location(self.path, span.line, span.col)


def _span(node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _walk(node: yaml.Node, prefix: KeyPath, keys: dict, values: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            path = prefix + (str(key_node.value),)
            keys[path] = _span(key_node)
            values[path] = _span(value_node)
            _walk(value_node, path, keys, values)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = prefix + (str(index),)
            values[path] = _span(item)
            _walk(item, path, keys, values)


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse `text`; raise InputError (with the problem's line:column) on invalid YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(Location(path, line, col), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(Location(path), f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    keys: dict[KeyPath, Span] = {}
    values: dict[KeyPath, Span] = {}
    if node is not None:
        _walk(node, (), keys, values)
    return YamlDocument(path=path, text=text, data=data, key_spans=keys, value_spans=values)


def read_yaml_file(path: str) -> YamlDocument:
    """Read and parse a file; unreadable or undecodable input becomes an InputError."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise InputError(Location(path), f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(Location(path), f"cannot read: {exc.strerror or exc}") from None
    return parse_yaml(text, path)
