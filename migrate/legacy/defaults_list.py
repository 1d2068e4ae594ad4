"""A config's Hydra `defaults:` list as written: which entries would load another file.

Read without Hydra (plain data), so that a config whose list names no file (only `_self_`, or
`optional group: null` entries) is converted alone without importing hydra-core. What the
entries mean when they do name files is left to Hydra itself (migrate.legacy.compose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from migrate.legacy.yamlsource import YamlDocument

_ENV_CALL = re.compile(r"\$\{\s*oc\.env\s*:\s*([A-Za-z_][\w]*)\s*(,)?")


@dataclass(frozen=True)
class DefaultsEntry:
    """One item of a defaults list: `text` as written, the place of the item, what it selects."""

    text: str
    line: int | None
    col: int | None
    is_self: bool
    optional: bool
    group: str | None  # `optim@model.optim` without modifiers; None for a plain config entry
    option: Any  # the option name(s) chosen; None when the entry selects nothing

    @property
    def loads_file(self) -> bool:
        """Whether Hydra would look for a file for this entry."""
        if self.is_self:
            return False
        if isinstance(self.option, list):
            return any(item not in (None, "") for item in self.option)
        return self.option not in (None, "")

    @property
    def interpolated(self) -> bool:
        return "${" in self.text

    def env_names(self, with_default: bool | None = None) -> tuple[str, ...]:
        """Environment variables `${oc.env:NAME}` the option name reads (filtered by whether a
        default is written after the name, when `with_default` is given)."""
        names = []
        for name, comma in _ENV_CALL.findall(self.text):
            if with_default is None or bool(comma) == with_default:
                names.append(name)
        return tuple(dict.fromkeys(names))


def _entry_text(item: Any) -> str:
    if isinstance(item, dict) and len(item) == 1:
        ((key, value),) = item.items()
        shown = "" if value is None else value
        return f"{key}: {shown}".rstrip()
    return str(item)


def _parse(item: Any, line: int | None, col: int | None) -> DefaultsEntry:
    text = _entry_text(item)
    if isinstance(item, str):
        if item.strip() == "_self_":
            return DefaultsEntry(text, line, col, True, False, None, None)
        return DefaultsEntry(text, line, col, False, False, None, item)
    if isinstance(item, dict) and len(item) == 1:
        ((key, value),) = item.items()
        words = str(key).split()
        optional = "optional" in words[:-1]
        group = words[-1] if words else ""
        return DefaultsEntry(text, line, col, False, optional, group, value)
    # another form (Hydra 1.0's `{group: x, optional: true}` mappings, lists): left to Hydra
    return DefaultsEntry(text, line, col, False, False, None, item)


def defaults_entries(document: YamlDocument) -> tuple[DefaultsEntry, ...]:
    """The top-level `defaults:` list of a config, or () when it has none."""
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("defaults"), list):
        return ()
    entries = []
    for index, item in enumerate(data["defaults"]):
        span = document.value_spans.get(("defaults", str(index)))
        entries.append(_parse(item, span.line if span else None, span.col if span else None))
    return tuple(entries)


def names_files(document: YamlDocument) -> bool:
    """Whether the defaults list could make Hydra merge another file into this config."""
    return any(entry.loads_file for entry in defaults_entries(document))
