"""Optimizer facts of NeMo 1.0: the gradient-reduction dtype, the fp16-O2 refusal and gradient clipping."""

from __future__ import annotations

import pytest
from facts import codes, reader

from migrate.errors import InputError
from migrate.legacy import families
from migrate.legacy import optimizer as O
from migrate.legacy import precision as P

BF16_O2 = {"trainer.precision": "bf16", "model.megatron_amp_O2": True}
DIST = {**BF16_O2, "model.optim.name": "distributed_fused_adam"}
MCORE = {**BF16_O2, "model.optim.name": "mcore_distributed_optim"}


def _reduce(keys, release="1.23"):
    r = reader(keys, release)
    trainer = P.trainer_precision(r)
    compute = P.compute_dtype(r, trainer)
    o2 = P.megatron_amp_o2(r, P.fsdp(r))
    optim = O.optimizer_name(r)
    return O.grad_reduce_dtype(r, optim, O.is_distributed(r, optim), o2, compute.value), r


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16"}, "1.23", "bf16", id="distributed Adam reduces in grad_sync_dtype"),
        pytest.param(DIST, "1.23", "fp32", id="grad_sync_dtype defaults to the optimizer dtype fp32"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.23", "bf16", id="1.23: grad_sync_dtype defaults to optim.dtype"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.20", "fp32", id="1.17-1.22 force the optimizer dtype to fp32"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.16", "bf16", id="1.13-1.16 honour optim.dtype"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "torch.float16"}, "1.23", "fp16", id="torch.* spellings (str_to_dtype)"),
        pytest.param({**BF16_O2, "model.optim.name": "fused_adam", "model.optim.grad_sync_dtype": "bf16"}, "1.23", "fp32",
                     id="non-distributed optimizers reduce fp32 gradients"),
        pytest.param({**MCORE, "model.optim.grad_sync_dtype": "bf16"}, "2.x", "bf16", id="2.x mcore optim: != 'fp32' reduces in the param dtype"),
        pytest.param({**MCORE, "model.optim.grad_sync_dtype": "float32"}, "2.x", "bf16",
                     id="2.x mcore optim compares with the literal 'fp32': float32 reduces in bf16"),
        pytest.param({**MCORE, "model.optim.grad_sync_dtype": "fp32"}, "2.x", "fp32", id="2.x mcore optim: literal fp32"),
        pytest.param(MCORE, "2.x", "fp32", id="2.x mcore optim: absent means fp32"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16"}, "1.12", "fp32", id="no distributed Adam before 1.13"),
    ],
)
def test_grad_reduce_dtype(keys, release, expected) -> None:
    assert _reduce(keys, release)[0].value == expected


@pytest.mark.parametrize(
    ("keys", "release", "noted"),
    [
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16"}, "1.23", True, id="1.17+: embedding grads stay fp32"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16"}, "1.16", False, id="1.13-1.16 reduce everything in grad_sync_dtype"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16", "model.optim.dtype": "bf16"}, "1.23", False,
                     id="1.23: only while the optimizer dtype is fp32"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "fp32"}, "1.23", False, id="fp32 reduction: nothing to note"),
    ],
)
def test_embedding_gradients_in_fp32(keys, release, noted) -> None:
    _, r = _reduce(keys, release)
    assert ("embedding-grads-fp32" in codes(r)) is noted


def test_mcore_optim_outside_2x_is_reported() -> None:
    _, r = _reduce({**MCORE, "model.optim.grad_sync_dtype": "bf16"}, "1.23")
    assert "needs-nemo1-in-2x" in codes(r)


@pytest.mark.parametrize(
    ("optim", "release", "refused"),
    [
        pytest.param("fused_adam", "1.23", True, id="1.8+: fp16 O2 without distributed Adam raises"),
        pytest.param("distributed_fused_adam", "1.23", False, id="distributed Adam allows fp16 O2"),
        pytest.param("fused_adam", "1.7", False, id="1.6-1.7 allowed fp16 O2"),
    ],
)
def test_fp16_o2_refusal(optim, release, refused) -> None:
    keys = {"trainer.precision": 16, "model.megatron_amp_O2": True, "model.optim.name": optim}
    r = reader(keys, release)
    compute = P.compute_dtype(r, P.trainer_precision(r))
    o2 = P.megatron_amp_o2(r, P.fsdp(r))
    name = O.optimizer_name(r)
    if refused:
        with pytest.raises(InputError, match="fp16 training is not yet supported with O2"):
            O.refuse_fp16_o2(r, compute, o2, O.is_distributed(r, name))
    else:
        O.refuse_fp16_o2(r, compute, o2, O.is_distributed(r, name))


def test_optimizer_without_a_name_is_still_an_optimizer() -> None:
    r = reader({**BF16_O2, "model.optim.lr": 1e-4})
    assert O.optimizer_name(r).value is not None


def _clip(keys, release="1.23"):
    r = reader(keys, release)
    aligner = families.aligner(r.config, r.layout)
    return O.gradient_clipping(r, aligner, O.optimizer_name(r)), r


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": 1.0}, 1.0, id="trainer.gradient_clip_val"),
        pytest.param({"trainer.precision": "bf16"}, 0.0, id="absent: Lightning None, no clipping"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": 0.0}, 0.0, id="0 does not clip"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": -1}, 0.0, id="<= 0 does not clip"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": None}, 0.0, id="null does not clip"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": float("inf")}, 0.0, id="inf never clips"),
        pytest.param({"precision": "bf16", "megatron_amp_O2": True}, None, id="no trainer section: not decided here"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": 5.0, "trainer.dpo.gradient_clip_val": 1.0,
                      "model.optim.name": "distributed_fused_adam"}, 1.0, id="Aligner clips with trainer.<algo>.gradient_clip_val"),
        pytest.param({"trainer.precision": "bf16", "trainer.gradient_clip_val": 5.0, "trainer.dpo.gradient_clip_val": 1.0,
                      "model.optim.name": "mcore_distributed_optim"}, 5.0,
                     id="Aligner + Megatron-core optimizer: the optimizer reads trainer.gradient_clip_val"),
        pytest.param({"trainer.precision": "bf16", "trainer.dpo.max_steps": 10, "model.optim.name": "distributed_fused_adam"}, None,
                     id="Aligner section without gradient_clip_val: set at launch, unknown"),
    ],
)
def test_gradient_clipping(keys, expected) -> None:
    clip, r = _clip(keys)
    assert clip.value == expected
    if expected is None:
        assert "clipping-unknown" in codes(r)


def test_nan_clip_is_refused() -> None:
    with pytest.raises(InputError, match=r"\.nan is not a clipping threshold"):
        _clip({"trainer.precision": "bf16", "trainer.gradient_clip_val": float("nan")})


def test_mcore_optimizer_reduces_fp16_gradients_in_fp16() -> None:
    keys = {"trainer.precision": 16, "model.megatron_amp_O2": True, "model.optim.name": "mcore_distributed_optim",
            "model.optim.grad_sync_dtype": "fp16"}
    assert _reduce(keys, "2.x")[0].value == "fp16"


def test_aligner_with_megatron_fused_adam_clips_with_the_trainer_value() -> None:
    keys = {"trainer.precision": "bf16", "trainer.gradient_clip_val": 5.0, "trainer.sft.gradient_clip_val": 1.0,
            "model.optim.name": "megatron_fused_adam"}
    assert _clip(keys)[0].value == 5.0
