"""Build one run's FactReader from a few dotted keys, so each NeMo 1.0 fact can be tested on its own."""

from __future__ import annotations

from typing import Any

import yaml

from migrate.legacy.layout import Layout
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.reading import FactReader
from migrate.legacy.roles import detect_runs
from migrate.legacy.versions import nemo1_profile
from migrate.legacy.yamlsource import parse_yaml


def nest(keys: dict[str, Any]) -> dict:
    """{"model.fp8": True} -> {"model": {"fp8": True}}."""
    tree: dict = {}
    for dotted, value in keys.items():
        node = tree
        parts = dotted.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def config(keys: dict[str, Any]) -> LegacyConfig:
    text = yaml.safe_dump(nest(keys), sort_keys=False)
    return LegacyConfig(parse_yaml(text, "case.yaml"))


def reader(keys: dict[str, Any], release: str = "1.23", builder: str | None = None, layout: Layout | None = None) -> FactReader:
    """A reader over `keys`; the layout is what role detection finds (a training run by default)."""
    cfg = config(keys)
    if layout is None:
        runs = detect_runs(cfg)
        layout = runs[0] if isinstance(runs, list) else Layout("model", "trainer" in cfg.data)
    return FactReader(cfg, layout, nemo1_profile(release), builder)


def codes(r: FactReader) -> list[str]:
    return [finding.code for finding in r.findings]
