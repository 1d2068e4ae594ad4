"""NeMo AutoModel emitter: golden YAML blocks, and the facts every output must respect.

Regenerate the goldens after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from golden import check_golden
from target_cases import INPUTS, TARGETS, findings_text, spec_of

from migrate.emit.automodel_yaml import merge_into, render_automodel
from migrate.plan.automodel import plan_automodel

GOLDEN = TARGETS / "automodel"
ACCEPTED_DTYPES = {"float32", "bfloat16", "float16"}


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    spec = spec_of(case)
    text, findings = render_automodel(spec)
    check_golden(GOLDEN / f"{case.stem}.yaml", text, keep_empty=True)
    check_golden(GOLDEN / f"{case.stem}.findings", findings_text(spec, findings), keep_empty=True)


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_output_parses_and_merging_it_again_changes_nothing(case: Path) -> None:
    spec = spec_of(case)
    text, _ = render_automodel(spec)
    data = yaml.safe_load(text)
    plan = plan_automodel(spec)
    for entry in plan.entries:
        node = data
        for part in entry.path:
            node = node[part]
        assert node == entry.value, entry.path
    assert merge_into(text, plan.entries) == text


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_version_quirks_are_written_out(case: Path) -> None:
    """0.7.0 rejects "fp32"/"fp16" and changed the mp_policy defaults: all four fields are explicit."""
    spec = spec_of(case)
    data = yaml.safe_load(render_automodel(spec)[0])
    policy = data["distributed"]["mp_policy"]
    assert set(policy) == {"param_dtype", "reduce_dtype", "output_dtype", "cast_forward_inputs"}
    assert policy["cast_forward_inputs"] is True
    dtypes = [data["model"]["torch_dtype"], policy["param_dtype"], policy["reduce_dtype"], policy["output_dtype"]]
    assert set(dtypes) <= ACCEPTED_DTYPES
    if spec.optimizer.value is not None:
        assert data["model"]["torch_dtype"] == "float32"  # fp32 master weights and Adam state
    if spec.amp_mode.value == "O1":
        assert policy["param_dtype"] == "float32"
        assert (
            data["distributed"]["autocast_dtype"] == {"bf16": "bfloat16", "fp16": "float16"}[spec.compute_dtype.value]
        )


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_fp8_is_torchao_and_says_so(case: Path) -> None:
    spec = spec_of(case)
    text, findings = render_automodel(spec)
    data = yaml.safe_load(text)
    assert data["fp8"]["enabled"] is spec.fp8.active.value
    torchao = [f for f in findings if f.code == "automodel-fp8-torchao"]
    if spec.fp8.active.value:
        assert data["fp8"]["recipe_name"] == "tensorwise"
        assert data["compile"]["enabled"] is True
        assert "NOT Transformer Engine delayed scaling" in text
        assert len(torchao) == 1 and torchao[0].severity == "warning"
        assert data["fp8"]["enable_fsdp_float8_all_gather"] is spec.fp8.params.value
    else:
        assert "compile" not in data and not torchao
