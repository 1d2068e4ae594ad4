"""The two loss-scaler update rules (NeMo 1.0's GradScaler, Megatron-core's DynamicGradScaler) and
the overflow schedule that tells them apart. Plain Python: no torch needed."""

from __future__ import annotations

import sys
import types

import pytest

from migrate.verify import loss_scaler
from migrate.verify.loss_scaler import (
    ConstantScaler,
    MegatronDynamicScaler,
    NeMo1GradScaler,
    make_scaler,
)
from migrate.verify.loss_scaling import first_difference, stress_schedule
from migrate.verify.recipes import MEGATRON_RULE, NEMO1_RULE, ScalerConfig


def scales(scaler, overflows: list[bool]) -> list[float]:
    history = []
    for found_inf in overflows:
        scaler.update(found_inf)
        history.append(scaler.scale)
    return history


def nemo1(initial=1024.0, window=2, hysteresis=2):
    return NeMo1GradScaler(ScalerConfig("dynamic", initial, window, hysteresis, None, NEMO1_RULE))


def megatron(initial=1024.0, window=2, hysteresis=2, floor=1.0):
    return MegatronDynamicScaler(ScalerConfig("dynamic", initial, window, hysteresis, floor, MEGATRON_RULE))


@pytest.mark.parametrize("make", [nemo1, megatron])
def test_both_rules_grow_after_the_window_and_back_off_once_hysteresis_is_spent(make):
    assert scales(make(), [False, False, True, True, True, False]) == [1024.0, 2048.0, 2048.0, 1024.0, 512.0, 512.0]


@pytest.mark.parametrize("make", [nemo1, megatron])
def test_an_overflow_restarts_the_growth_window(make):
    assert scales(make(window=3), [False, False, True, False, False, False]) == [1024.0] * 5 + [2048.0]


def test_nemo1_rearms_hysteresis_after_every_clean_step_megatron_only_when_it_grows():
    # spike, clean, spike: NeMo 1.0 never runs out of hysteresis; Megatron-core does at the second spike.
    pattern = [True, False, True]
    assert scales(nemo1(window=1000), pattern) == [1024.0, 1024.0, 1024.0]
    assert scales(megatron(window=1000), pattern) == [1024.0, 1024.0, 512.0]


def test_nemo1_has_no_floor_megatron_stops_at_min_scale():
    burst = [True] * 5
    assert scales(nemo1(initial=4.0, hysteresis=1), burst) == [2.0, 1.0, 0.5, 0.25, 0.125]
    assert scales(megatron(initial=4.0, hysteresis=1, floor=1.0), burst) == [2.0, 1.0, 1.0, 1.0, 1.0]
    assert scales(megatron(initial=4.0, hysteresis=1, floor=None), burst)[-1] == 0.125


def test_after_hysteresis_is_spent_every_further_overflow_backs_off_in_both_rules():
    for make in (nemo1, megatron):
        assert scales(make(hysteresis=3, window=1000), [True] * 5) == [1024.0, 1024.0, 512.0, 256.0, 128.0]


def test_constant_scaler_never_moves():
    assert scales(ConstantScaler(ScalerConfig("constant", 128.0)), [True, False, True]) == [128.0] * 3


def test_make_scaler_picks_the_rule_of_each_side():
    config = ScalerConfig("dynamic", 2.0**32, 1000, 2, None, NEMO1_RULE)
    assert isinstance(make_scaler(config), NeMo1GradScaler)
    migrated = ScalerConfig("dynamic", 2.0**32, 1000, 2, 1.0, MEGATRON_RULE)
    assert isinstance(make_scaler(migrated, "cpu"), MegatronDynamicScaler)
    assert isinstance(make_scaler(ScalerConfig("constant", 8.0, rule=MEGATRON_RULE)), ConstantScaler)
    with pytest.raises(ValueError):
        make_scaler(ScalerConfig("dynamic", 1.0, rule="apex"))


def test_make_scaler_drives_megatron_cores_own_class_on_cuda_when_importable(monkeypatch):
    """The adapter around the real class (which keeps its scale in a CUDA tensor): faked here."""

    class Scale:
        def __init__(self, value):
            self.value = value

        def item(self):
            return self.value

    class FakeDynamic:
        def __init__(self, initial_scale, min_scale, growth_factor, backoff_factor, growth_interval, hysteresis):
            self.calls = []
            self.scale = Scale(initial_scale)
            self.min_scale = min_scale

        def update(self, found_inf):
            self.calls.append(found_inf)
            if found_inf:
                self.scale = Scale(max(self.scale.value / 2, self.min_scale))

    fake = types.SimpleNamespace(DynamicGradScaler=FakeDynamic, ConstantGradScaler=None, __megatron_version__="megatron-core 0.14.0")
    monkeypatch.setattr(loss_scaler, "_real_megatron_module", lambda: fake)
    config = ScalerConfig("dynamic", 4.0, 1000, 1, 1.0, MEGATRON_RULE)
    scaler = make_scaler(config, "cuda")
    assert scaler.implementation == "megatron.core" and "megatron-core 0.14.0" in scaler.description
    assert scales(scaler, [True, True, True]) == [2.0, 1.0, 1.0]
    # On the CPU (or for the legacy side) the model runs, whatever is importable.
    assert make_scaler(config, "cpu").implementation == "model"
    assert make_scaler(ScalerConfig("dynamic", 4.0, 1000, 1, None, NEMO1_RULE), "cuda").implementation == "model"


def test_real_megatron_module_is_absent_here_or_imports(monkeypatch):
    monkeypatch.setitem(sys.modules, "megatron", None)  # an import of megatron.* now fails
    assert loss_scaler._real_megatron_module() is None


def test_stress_schedule_for_nemo_defaults_crosses_the_floor_and_has_an_isolated_pair():
    schedule = stress_schedule(ScalerConfig("dynamic", 2.0**32, 1000, 2, None, NEMO1_RULE))
    phases = {name: (first, last) for name, first, last in schedule.phases}
    assert list(phases) == ["settle", "isolated", "burst", "recovery"]
    first, last = phases["isolated"]
    assert [schedule.spikes[i - 1] for i in range(first, last + 1)] == [True, False, True, False, False]
    first, last = phases["burst"]
    burst = last - first + 1
    assert all(schedule.spikes[first - 1:last]) and not any(schedule.spikes[: phases["settle"][1]])
    # Starting from 2**16 after the settle phase, the burst takes NeMo 1.0's scale below 1.0.
    assert scales(nemo1(initial=2.0**16, window=1000), [True] * burst)[-1] < 1.0
    assert schedule.steps == phases["recovery"][1] and 40 <= schedule.steps <= 90


def test_stress_schedule_is_shorter_for_a_small_initial_scale():
    small = stress_schedule(ScalerConfig("dynamic", 1024.0, 4, 2, None, NEMO1_RULE))
    large = stress_schedule(ScalerConfig("dynamic", 2.0**32, 1000, 2, None, NEMO1_RULE))
    assert small.steps < large.steps
    assert scales(nemo1(initial=2.0**12, window=4), [True] * sum(small.spikes[11:]))[-1] < 1.0


def test_first_difference():
    assert first_difference((1.0, 2.0, 4.0), (1.0, 2.0, 4.0)) is None
    assert first_difference((1.0, 2.0, 4.0), (1.0, 1.0, 4.0)) == 2
    assert first_difference((1.0,), (1.0, 2.0)) == 2
