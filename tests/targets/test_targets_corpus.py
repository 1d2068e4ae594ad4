"""Every convertible config of the shared development corpus renders for both targets without a crash."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import yaml

from migrate.convert import ConvertOptions, load_config, spec_for
from migrate.emit.automodel_yaml import merge_into, render_automodel
from migrate.emit.python_module import render_python_module
from migrate.errors import InputError
from migrate.legacy.layout import Skip
from migrate.plan.automodel import plan_automodel
from migrate.plan.targets import plan_bridge
from migrate.target_api import bridge as snapshot


def test_corpus_renders_for_bridge_and_automodel(corpus_dev: Path) -> None:
    recipes: Counter[str | None] = Counter()
    rendered = 0
    for path in sorted(corpus_dev.glob("*.yaml")):
        options = ConvertOptions()
        try:
            spec = spec_for(load_config(str(path), options), options)
        except InputError:
            continue  # NeMo 1.0 itself refuses these; convert reports them
        if isinstance(spec, Skip):
            continue
        plan = plan_bridge(spec)
        ast.parse(render_python_module(spec, plan))
        assert set(plan.kwargs()) <= set(snapshot.FIELDS)
        recipes[plan.recipe] += 1
        automodel, _ = render_automodel(spec)
        assert isinstance(yaml.safe_load(automodel), dict)
        assert merge_into(automodel, plan_automodel(spec).entries) == automodel
        rendered += 1
    assert rendered == 101  # the corpus's training and model-only runs (tests/test_corpus_convert.py)
    assert recipes["bf16_mixed"] > 0  # the common bf16 O2 configs land on the registered recipe
