"""A NeMo 1.0 config as the tool sees it: raw values by dotted key, each with its origin."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrate.errors import Location
from migrate.legacy.interpolation import Resolver, Unknown
from migrate.legacy.overrides import Override
from migrate.legacy.yamlsource import KeyPath, YamlDocument
from migrate.spec import Origin

_ABSENT = object()


@dataclass(frozen=True)
class RawValue:
    """A value as NeMo 1.0 would read it (interpolations resolved), or Unknown."""

    value: Any
    origin: Origin
    env_defaults: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return not isinstance(self.value, Unknown)


def _split(dotted: str) -> KeyPath:
    return tuple(dotted.split("."))


def _apply(data: Any, override: Override) -> Any:
    data = copy.deepcopy(data) if isinstance(data, dict) else {}
    node = data
    parts = _split(override.key)
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            if override.delete:
                return data
            child = {}
            node[part] = child
        node = child
    if override.delete:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = override.value
    return data


class LegacyConfig:
    """Read access to one legacy YAML with overrides and `--env` values applied."""

    def __init__(
        self,
        document: YamlDocument,
        overrides: Iterable[Override] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.document = document
        self.path = document.path
        self.composition = document.composition  # None unless Hydra composed the run from several files
        self._placed: dict[tuple[int, int], set[str | None]] = {}
        self._overrides: dict[KeyPath, Override] = {}
        data = document.data
        for override in overrides:
            data = _apply(data, override)
            self._overrides[_split(override.key)] = override
        self.data = data
        self._resolver = Resolver(data, env or {})

    def _raw(self, path: KeyPath) -> Any:
        node = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return _ABSENT
            node = node[part]
        return node

    def has(self, dotted: str) -> bool:
        return self._raw(_split(dotted)) is not _ABSENT

    def section(self, dotted: str) -> dict | None:
        """A mapping at `dotted` (raw, unresolved), or None."""
        node = self._raw(_split(dotted)) if dotted else self.data
        return node if isinstance(node, dict) else None

    def origin_of(self, dotted: str) -> Origin:
        path = _split(dotted)
        override = self._overrides.get(path)
        if override is not None:
            return Origin("override", key=dotted, detail=override.text)
        span = self.document.key_spans.get(path)
        if span is None:
            return Origin("key", key=dotted)
        if self.composition is not None:
            self._placed.setdefault((span.line, span.col), set()).add(span.path)
        return Origin("key", key=dotted, line=span.line, col=span.col, path=span.path)

    def location(self, dotted: str) -> Location:
        return self.origin_of(dotted).location(self.path)

    def relocated(self, location: Location) -> Location:
        """A location built from an origin's line and column alone, moved to the file that origin
        was read from (composed runs only; used where a message was placed on the converted file).
        Unchanged when no key read at that line and column, or keys of several files, match."""
        if location.path != self.path or location.line is None or location.col is None:
            return location
        files = self._placed.get((location.line, location.col), set())
        if len(files) != 1:
            return location
        (path,) = files
        return Location(path or self.path, location.line, location.col)

    def package_mounts(self) -> tuple[str, ...]:
        """Hydra package names interpolations were resolved through (see interpolation.py)."""
        return self._resolver.mounts

    def get(self, dotted: str) -> RawValue | None:
        """The value at `dotted`, or None when the key is absent."""
        raw = self._raw(_split(dotted))
        if raw is _ABSENT:
            return None
        origin = self.origin_of(dotted)
        if isinstance(raw, str) and raw == "???":
            return RawValue(Unknown("???", "mandatory value `???` is not set; pass --set"), origin)
        if isinstance(raw, str) and "${" in raw:
            value, env_defaults = self._resolver.resolve(dotted, raw)
            if isinstance(value, str) and value == "???":
                value = Unknown(raw, "resolves to a mandatory value `???` that is not set")
            via = raw
            if env_defaults:
                names = ", ".join(env_defaults)
                via = f"{raw} (env {names} not given: its written default used)"
            return RawValue(
                value,
                Origin(origin.kind, origin.key, origin.line, origin.col, origin.detail, via, origin.path),
                env_defaults,
            )
        return RawValue(raw, origin)
