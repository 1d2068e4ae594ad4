"""Hydra-style `--set key=value` and `--env NAME=VALUE` arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class OverrideSyntaxError(ValueError):
    """A malformed --set/--env argument (a usage error)."""


@dataclass(frozen=True)
class Override:
    """One `--set`: `key=value` or `+key=value` sets, `~key` deletes."""

    key: str
    value: Any
    delete: bool
    text: str


def parse_override(text: str) -> Override:
    raw = text.strip()
    if raw.startswith("~"):
        key = raw[1:].split("=", 1)[0].strip()
        if not key:
            raise OverrideSyntaxError(f"--set {text!r}: expected ~KEY")
        return Override(key=key, value=None, delete=True, text=raw)
    key, sep, value_text = raw.lstrip("+").partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise OverrideSyntaxError(f"--set {text!r}: expected KEY=VALUE, e.g. model.fp8=True")
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else ""
    except yaml.YAMLError:
        value = value_text
    if isinstance(value, (dict, list)):
        raise OverrideSyntaxError(f"--set {text!r}: only scalar values can be set")
    return Override(key=key, value=value, delete=False, text=raw)


def parse_env(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OverrideSyntaxError(f"--env {item!r}: expected NAME=VALUE, e.g. FP8=True")
        env[name.strip()] = value
    return env
