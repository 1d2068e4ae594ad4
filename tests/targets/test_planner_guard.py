"""The planner writes only strings from each argument's known set: text that reached a spec from a
config (here forced in with dataclasses.replace) is refused, never rendered as code."""

from __future__ import annotations

from dataclasses import replace

import pytest
from target_cases import ROOT, spec_of

from migrate.plan.targets import plan_bridge, plan_nemo2
from migrate.spec import Setting

CASE = ROOT / "fixtures" / "convert" / "bf16_o2_mcore_fp8_hybrid.yaml"
INJECTED = 'hybrid"); import os  #'


@pytest.mark.parametrize("plan", [lambda spec: plan_nemo2(spec, "2.7"), plan_bridge], ids=["nemo2", "bridge"])
def test_a_string_outside_the_known_set_is_refused(plan) -> None:
    spec = spec_of(CASE)
    assert plan(spec).kwargs()["fp8"] == "hybrid"  # the case itself plans
    fp8 = replace(spec.fp8, format=Setting(INJECTED, spec.fp8.format.origin))
    with pytest.raises(ValueError, match="refusing to emit fp8="):
        plan(replace(spec, fp8=fp8))
