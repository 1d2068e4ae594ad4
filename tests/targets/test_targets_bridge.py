"""Megatron Bridge emitter: golden modules, checked against the recorded MixedPrecisionConfig snapshot.

Regenerate the goldens after an intended change with NEMO_MIGRATE_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from golden import check_golden
from target_cases import INPUTS, TARGETS, findings_text, spec_of

from migrate.emit.python_module import render_python_module
from migrate.nemo2.calls import find_calls, parse_python
from migrate.plan.targets import plan_bridge
from migrate.target_api import bridge as snapshot
from migrate.target_api.dtype import Dtype

GOLDEN = TARGETS / "bridge"
MODULE = "megatron.bridge.training.mixed_precision"


def _assigned(text: str) -> ast.expr:
    tree = ast.parse(text)
    (assign,) = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "mixed_precision"]
    return assign.value


def render_bridge(spec) -> tuple[str, tuple]:
    plan = plan_bridge(spec)
    return render_python_module(spec, plan), plan.findings


def _as_source(value: object) -> object:
    return f"torch.{value.attribute}" if isinstance(value, Dtype) else value


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_golden(case: Path) -> None:
    spec = spec_of(case)
    text, findings = render_bridge(spec)
    check_golden(GOLDEN / f"{case.stem}.py", text, keep_empty=True)
    check_golden(GOLDEN / f"{case.stem}.findings", findings_text(spec, findings), keep_empty=True)


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_output_parses_and_says_what_the_plan_says(case: Path) -> None:
    """The module parses, re-rendering gives the same bytes, and reading it back gives the plan."""
    spec = spec_of(case)
    text, _ = render_bridge(spec)
    assert render_bridge(spec)[0] == text
    plan = plan_bridge(spec)
    value = _assigned(text)
    if plan.recipe is None:
        calls = find_calls(parse_python(text, case.name), {"MixedPrecisionConfig": (MODULE,)})
        assert len(calls) == 1 and not calls[0].positional
        assert calls[0].kwargs == {name: _as_source(v) for name, v in plan.kwargs().items()}
        assert isinstance(value, ast.Call)
    else:
        assert isinstance(value, ast.Constant) and value.value == plan.recipe
        assert "MixedPrecisionConfig" not in text.split('"""')[-1].split("mixed_precision =")[1]


@pytest.mark.parametrize("case", INPUTS, ids=lambda p: p.stem)
def test_plan_agrees_with_the_snapshot(case: Path) -> None:
    spec = spec_of(case)
    plan = plan_bridge(spec)
    kwargs = plan.kwargs()
    assert set(kwargs) <= set(snapshot.FIELDS)
    # the None-copying trap: both dtypes are always given
    assert isinstance(kwargs["params_dtype"], Dtype) and isinstance(kwargs["pipeline_dtype"], Dtype)
    assert "grad_reduce_in_fp32" in kwargs
    assert "fp8_param" not in kwargs  # overwritten by fp8_param_gather in Bridge's constructor
    effective = snapshot.effective(kwargs)
    if plan.recipe is not None:
        assert effective == snapshot.effective(snapshot.RECIPES[plan.recipe])
    else:
        assert all(effective != snapshot.effective(fields) for fields in snapshot.RECIPES.values())
    fp8 = spec.fp8
    if fp8.active.value:
        # Bridge defaults to current scaling; NeMo 1.0's delayed scaling must be asked for
        assert effective["fp8_recipe"] == fp8.recipe.value
        assert effective["fp8"] == fp8.format.value
        assert effective["fp8_param_gather"] is effective["fp8_param"] is fp8.params.value
        if fp8.recipe.value == "delayed":
            assert effective["fp8_amax_history_len"] == fp8.amax_history_len.value
            assert effective["fp8_amax_compute_algo"] == fp8.amax_compute_algo.value
            assert effective["fp8_margin"] == fp8.margin.value
        if fp8.first_last_layers_bf16.value:
            assert effective["num_layers_at_start_in_bf16"] == fp8.num_layers_at_start_in_bf16.value
            assert effective["num_layers_at_end_in_bf16"] == fp8.num_layers_at_end_in_bf16.value
    else:
        assert effective["fp8"] is None
    assert effective["grad_reduce_in_fp32"] is (spec.grad_reduce_dtype.value == "fp32") or any(
        f.code == "grad-reduce-dtype" for f in plan.findings
    )
    assert "fp32" not in kwargs and "autocast_enabled" not in kwargs  # inert fields are never written


@pytest.mark.parametrize(
    "stem, recipe",
    [
        ("launcher_package", "bf16_mixed"),
        ("bf16_fp8_delayed_te_defaults", "bf16_with_fp8_delayed_scaling_mixed"),
        ("fp16_o2_fp16_reduce", "fp16_mixed"),
        ("bf16_o2_mcore_fp8_hybrid", None),  # delayed with history 1 and bf16 reduction: no recipe
        ("fp8_e4m3_every_key", None),
    ],
)
def test_recipe_names(stem: str, recipe: str | None) -> None:
    (case,) = [p for p in INPUTS if p.stem == stem]
    assert plan_bridge(spec_of(case)).recipe == recipe


def test_snapshot_constructor_semantics() -> None:
    """Bridge 0.6.2: fp8_param= is overwritten by fp8_param_gather; fp8_param_gather sets both."""
    assert snapshot.effective({"fp8_param": True})["fp8_param"] is False
    assert snapshot.effective({"fp8_param_gather": True})["fp8_param"] is True
    assert snapshot.FIELDS["fp8_recipe"] == "tensorwise"
    assert snapshot.FIELDS["grad_reduce_in_fp32"] is True
    assert snapshot.FIELDS["num_layers_at_start_in_bf16"] == snapshot.FIELDS["num_layers_at_end_in_bf16"] == 0
    with pytest.raises(KeyError):
        snapshot.effective({"fp8_params": True})
    # current-scaling recipes rely on the default recipe; the nanov2 one is blockwise despite its name
    assert snapshot.effective(snapshot.RECIPES["bf16_with_fp8_current_scaling_mixed"])["fp8_recipe"] == "tensorwise"
    assert snapshot.RECIPES["nanov2_bf16_with_fp8_current_scaling_mixed"]["fp8_recipe"] == "blockwise"
    names = [n for n in snapshot.RECIPES]
    assert (
        len(names) == 15
        and len({tuple(sorted(map(str, snapshot.effective(f).items()))) for f in snapshot.RECIPES.values()}) == 15
    )


def test_o1_and_fp32_findings() -> None:
    (o1,) = [p for p in INPUTS if p.stem == "fp16_o1_loss_scaling"]
    plan = plan_bridge(spec_of(o1))
    codes = {f.code for f in plan.findings}
    assert {"o1-autocast", "gradient-clipping"} <= codes
    assert plan.optimizer_overrides[0].name == "clip_grad" and plan.optimizer_overrides[0].value == 0.0
    (fp32,) = [p for p in INPUTS if p.stem == "fp32"]
    plan = plan_bridge(spec_of(fp32))
    assert "bf16" not in plan.kwargs() and "fp16" not in plan.kwargs()
    assert plan.kwargs()["params_dtype"] == Dtype("fp32") and plan.recipe is None
