"""Parse YAML once and keep the line:column of every key and value.

OmegaConf drops positions, so the document is composed with PyYAML (its C loader when
available) and the node tree is walked to map each dotted key path to its spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

from migrate.errors import Location, Unreadable

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


class Span(NamedTuple):
    """1-based start line/column and end line/column (end column exclusive).

    `path` names the file when Hydra composed the run from several (None: the converted config).
    """

    line: int
    col: int
    end_line: int
    end_col: int
    path: str | None = None


@dataclass(frozen=True)
class YamlDocument:
    """One parsed YAML file: its plain data and where each key and value sits.

    A run Hydra composed from a defaults list is one document too: the merged data, spans that
    name their file, and `composition` (migrate.legacy.compose.Composition) saying what was merged.
    """

    path: str
    text: str
    data: Any
    key_spans: dict[KeyPath, Span]
    value_spans: dict[KeyPath, Span]
    composition: Any = None


_CONSTRUCTOR = yaml.SafeLoader("")  # its scalar constructors turn resolved text into values
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str": None,
    "tag:yaml.org,2002:null": _CONSTRUCTOR.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
}


def _plain_tag(value: str) -> str:
    """The tag PyYAML's SafeLoader resolves for a plain scalar (plus OmegaConf's `1e3` floats)."""
    for tag, pattern in _Loader.yaml_implicit_resolvers.get(value[:1] if value else "", ()):
        if pattern.match(value):
            return tag
    return "tag:yaml.org,2002:str"


_PLAIN_VALUES: dict[str, Any] = {}  # plain scalar text -> value; values are immutable, configs repeat them


def _scalar(event: yaml.ScalarEvent) -> Any:
    if event.tag in (None, "!") and not event.style and event.implicit[0]:
        text = event.value
        try:
            return _PLAIN_VALUES[text]
        except KeyError:
            pass
        tag = _plain_tag(text)
        if tag in _SCALAR_TAGS:
            construct = _SCALAR_TAGS[tag]
            value = text if construct is None else _construct(construct, tag, event)
            if len(_PLAIN_VALUES) < 100_000:
                _PLAIN_VALUES[text] = value
            return value
    elif event.tag in (None, "!"):
        return event.value
    else:
        tag = event.tag
    if tag not in _SCALAR_TAGS:
        if tag == "tag:yaml.org,2002:timestamp":
            return event.value  # OmegaConf cannot hold dates; the text is what matters here
        raise yaml.constructor.ConstructorError(None, None, f"unsupported tag {tag}", event.start_mark)
    construct = _SCALAR_TAGS[tag]
    if construct is None:
        return event.value
    return _construct(construct, tag, event)


def _construct(construct: Any, tag: str, event: yaml.ScalarEvent) -> Any:
    try:
        return construct(yaml.ScalarNode(tag, event.value))
    except ValueError:
        # Python refuses int() of more than 4300 digits; OmegaConf's loader (so NeMo 1.0) fails the same way.
        digits = sum(ch.isdigit() for ch in event.value)
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of {digits} digits is too large to read (OmegaConf fails on it too)", event.start_mark
        ) from None


def _span(event: yaml.Event) -> Span:
    start, end = event.start_mark, event.end_mark
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


_COLLECTION_TAGS = {
    yaml.MappingStartEvent: (None, "!", "tag:yaml.org,2002:map"),
    yaml.SequenceStartEvent: (None, "!", "tag:yaml.org,2002:seq"),
}
# How many values aliases may add by repetition. Real configs reuse a few small anchors; a
# "billion laughs" document reaches billions, which every walk over the data would then expand.
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 100  # real configs nest fewer than ten levels; Python's stack would end near 500


def _error(problem: str, event: yaml.Event) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(None, None, problem, event.start_mark)


class _Builder:
    """Builds plain data and the spans of every key from PyYAML's event stream, in one pass.

    Refuses what OmegaConf's loader (and so NeMo 1.0) refuses, where SafeLoader would guess:
    duplicate keys, merge keys that are not mappings, unknown tags on mappings and sequences.
    """

    def __init__(self) -> None:
        self.keys: dict[KeyPath, Span] = {}
        self.values: dict[KeyPath, Span] = {}
        self.anchors: dict[str, Any] = {}
        self.anchor_sizes: dict[str, int] = {}
        self.size = 0  # values built, aliases counted with everything below their anchor
        self.repeated = 0  # of those, values added by aliases

    def node(self, events: Iterator[yaml.Event], event: yaml.Event, path: KeyPath) -> Any:
        start = self.size
        self.size += 1
        if len(path) > MAX_DEPTH:
            raise _error(f"nested more than {MAX_DEPTH} levels deep; refusing to read further", event)
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
        elif isinstance(event, yaml.MappingStartEvent):
            self._check_tag(event)
            value = self.mapping(events, path)
        elif isinstance(event, yaml.SequenceStartEvent):
            self._check_tag(event)
            value = []
            for index, item in enumerate(iter(lambda: next(events), None)):
                if isinstance(item, yaml.SequenceEndEvent):
                    break
                child = path + (str(index),)
                self.values[child] = _span(item)
                value.append(self.node(events, item, child))
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self.anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            added = self.anchor_sizes[event.anchor]
            self.size += added - 1
            self.repeated += added
            if self.repeated > MAX_ALIAS_EXPANSION:
                raise _error(
                    f"aliases repeat more than {MAX_ALIAS_EXPANSION:,} values (an alias bomb?); refusing to expand them",
                    event,
                )
            return self.anchors[event.anchor]
        else:  # pragma: no cover - the parser only yields the events above here
            raise yaml.composer.ComposerError(None, None, "unexpected YAML event", event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.anchors[anchor] = value
            self.anchor_sizes[anchor] = self.size - start
        return value

    @staticmethod
    def _check_tag(event: yaml.Event) -> None:
        if event.tag not in _COLLECTION_TAGS[type(event)]:
            raise _error(f"could not determine a constructor for the tag {event.tag!r}", event)

    def mapping(self, events: Iterator[yaml.Event], path: KeyPath) -> dict:
        mapping: dict = {}
        merged: list[dict] = []
        while True:
            key_event = next(events)
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            value_event = next(events)
            if isinstance(key_event, yaml.ScalarEvent) and key_event.value == "<<" and not key_event.style:
                merge = self.node(events, value_event, path)
                sources = merge if isinstance(merge, list) else [merge]
                if not all(isinstance(source, dict) for source in sources):
                    raise _error("expected a mapping or list of mappings for merging (`<<`)", value_event)
                merged.extend(sources)
                continue
            key = self.node(events, key_event, path)
            if isinstance(key, (dict, list)):
                raise _error("found an unhashable key", key_event)
            child = path + (str(key),)
            if key in mapping:
                first = self.keys.get(child)
                where = f" (first at line {first.line})" if first else ""
                raise _error(f"found duplicate key {str(key)!r}{where}; OmegaConf refuses duplicate keys", key_event)
            self.keys[child] = _span(key_event)
            self.values[child] = _span(value_event)
            mapping[key] = self.node(events, value_event, child)
        for source in merged:
            for key, value in source.items():
                mapping.setdefault(key, value)
        return mapping


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse `text`; raise InputError (with the problem's line:column) on invalid YAML."""
    builder = _Builder()
    data: Any = None
    try:
        events = iter(yaml.parse(text, Loader=_Loader))
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise yaml.composer.ComposerError(
                        None, None, "expected a single document in the stream", event.start_mark
                    )
                data = builder.node(events, next(events), ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise Unreadable(Location(path, line, col), f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # No mark: place it from the character offset.
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise Unreadable(
            Location(path, line, col), f"invalid YAML: unacceptable character U+{exc.character:04X} ({exc.reason})"
        ) from None
    except yaml.YAMLError as exc:
        raise Unreadable(Location(path), f"invalid YAML: {exc}") from None
    return YamlDocument(path=path, text=text, data=data, key_spans=builder.keys, value_spans=builder.values)


def read_yaml_file(path: str) -> YamlDocument:
    """Read and parse a file; unreadable, oversized or undecodable input becomes an InputError."""
    from migrate.inputs import read_input_text

    return parse_yaml(read_input_text(path), path)
