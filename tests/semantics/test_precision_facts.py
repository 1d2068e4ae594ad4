"""Dtype facts of NeMo 1.0, one table per fact: keys written -> the effective value, and the release
(or section) the answer depends on. Each row's id names the NeMo source behaviour it pins."""

from __future__ import annotations

import pytest
from facts import codes, reader

from migrate.errors import InputError
from migrate.legacy import precision as P
from migrate.spec import Origin, Setting


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({"trainer.precision": "bf16"}, "1.23", "bf16", id="trainer.precision read as written"),
        pytest.param({"trainer.precision": 16}, "1.23", "fp16", id="int 16 is fp16"),
        pytest.param({"trainer.precision": "16-mixed"}, "1.23", "fp16", id="Lightning 2 spelling from 1.21"),
        pytest.param({"trainer.devices": 8, "model.fp8": False}, "1.23", "fp32", id="absent: Lightning default 32-true"),
        pytest.param({"precision": "bf16", "megatron_amp_O2": True}, "1.23", "bf16", id="model-only: root precision is the trainer's"),
    ],
)
def test_trainer_precision(keys, release, expected) -> None:
    assert P.trainer_precision(reader(keys, release)).value == expected


@pytest.mark.parametrize(("spelling", "dtype"), [("16-mixed", "fp16"), ("bf16-mixed", "bf16"), ("32-true", "fp32")])
def test_lightning2_spellings_are_refused_before_1_21(spelling, dtype) -> None:
    with pytest.raises(InputError, match="PyTorch Lightning 2.0 spelling"):
        P.trainer_precision(reader({"trainer.precision": spelling}, "1.20"))
    assert P.trainer_precision(reader({"trainer.precision": spelling}, "1.21")).value == dtype


@pytest.mark.parametrize(
    ("keys", "release", "expected", "note"),
    [
        pytest.param({"trainer.precision": "bf16", "model.precision": 16}, "1.23", "fp16", "model-precision-differs",
                     id="1.21+ MegatronBaseModel: model.precision wins"),
        pytest.param({"trainer.precision": "bf16", "model.precision": 16}, "1.20", "bf16", "model-precision-overwritten",
                     id="1.5-1.20 scripts: cfg.model.precision = cfg.trainer.precision"),
        pytest.param({"trainer.precision": "bf16", "model.precision": "bf16"}, "1.20", "bf16", None, id="equal: no note"),
        pytest.param({"trainer.precision": "bf16", "model.fp8": False}, "1.23", "bf16", None, id="absent: follows the trainer"),
    ],
)
def test_compute_dtype(keys, release, expected, note) -> None:
    r = reader(keys, release)
    assert P.compute_dtype(r, P.trainer_precision(r)).value == expected
    assert (note in codes(r)) if note else codes(r) == []


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True}, "1.23", True, id="O2 read from 1.6"),
        pytest.param({"trainer.precision": 16, "model.megatron_amp_O2": True}, "1.5", False, id="no O2 in 1.5 (inert key)"),
        pytest.param({"trainer.precision": "bf16", "model.fp8": False}, "1.23", False, id="code default False"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.fsdp": True}, "1.23", False,
                     id="1.23 builder: FSDP forces O2 off"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.fsdp": True}, "1.22", True,
                     id="fsdp not read before 1.23"),
    ],
)
def test_megatron_amp_o2(keys, release, expected) -> None:
    r = reader(keys, release)
    assert P.megatron_amp_o2(r, P.fsdp(r)).value is expected


def test_megatron_amp_02_typo_is_not_read() -> None:
    r = reader({"trainer.precision": "bf16", "model.megatron_amp_02": True})
    assert P.megatron_amp_o2(r, P.fsdp(r)).value is False
    assert "megatron-amp-o2-typo" in codes(r)


@pytest.mark.parametrize(
    ("dtype", "o2", "refused"),
    [
        pytest.param("fp32", True, True, id="Float16Module raises 'Either config.fp16 or config.bf16 should be True'"),
        pytest.param("fp32", False, False, id="fp32 without O2: no Float16Module, plain fp32 training"),
        pytest.param("bf16", True, False, id="bf16 O2: Float16Module wraps the model in bf16"),
    ],
)
def test_o2_at_precision_32_is_refused(dtype, o2, refused) -> None:
    r = reader({"trainer.precision": 32, "model.megatron_amp_O2": o2})
    compute, o2_setting = Setting(dtype, Origin.default("")), Setting(o2, Origin.default(""))
    if refused:
        with pytest.raises(InputError, match="Float16Module"):
            P.refuse_o2_without_half(r, compute, o2_setting)
    else:
        P.refuse_o2_without_half(r, compute, o2_setting)


@pytest.mark.parametrize(
    ("dtype", "o2", "release", "mode", "note"),
    [
        pytest.param("bf16", False, "1.23", "O1", None, id="enable_autocast = not O2 and half"),
        pytest.param("bf16", True, "1.23", "O2", None, id="O2: half weights, no autocast from 1.18"),
        pytest.param("fp16", True, "1.17", "O2", "o2-with-autocast", id="1.7-1.17: Apex schedules autocast under O2 too"),
        pytest.param("fp16", True, "1.18", "O2", None, id="1.18: Megatron-core schedules, O2 disables autocast"),
        pytest.param("fp32", False, "1.23", "fp32", None, id="fp32 training"),
    ],
)
def test_amp_mode(dtype, o2, release, mode, note) -> None:
    r = reader({"trainer.precision": "bf16"}, release)
    compute = Setting(dtype, Origin.default(""))
    result = P.amp_mode(r, compute, Setting(o2, Origin.default("")), Setting(False, Origin.default("")))
    assert result.value == mode
    assert (note in codes(r)) if note else codes(r) == []


@pytest.mark.parametrize(
    ("dtype", "o2", "expected"),
    [
        pytest.param("bf16", True, "bf16", id="O2 keeps weights in the half dtype"),
        pytest.param("bf16", False, "fp32", id="O1 keeps fp32 weights"),
        pytest.param("fp32", False, "fp32", id="fp32"),
    ],
)
def test_params_and_pipeline_dtype(dtype, o2, expected) -> None:
    compute = Setting(dtype, Origin.default(""))
    assert P.params_dtype(compute, Setting(o2, Origin.default(""))).value == expected
    assert P.pipeline_dtype(compute).value == dtype  # pipeline_dtype follows the model dtype


def test_fp16_o2_keeps_fp16_weights() -> None:
    compute = Setting("fp16", Origin.default(""))
    assert P.params_dtype(compute, Setting(True, Origin.default(""))).value == "fp16"


def test_inert_o2_key_before_1_6_is_reported() -> None:
    r = reader({"trainer.precision": 16, "model.megatron_amp_O2": True}, "1.5")
    P.megatron_amp_o2(r, P.fsdp(r))
    assert "megatron-amp-o2-ignored" in codes(r)
