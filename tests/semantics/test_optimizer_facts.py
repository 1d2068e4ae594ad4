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


@pytest.mark.parametrize(
    ("keys", "release", "noted"),
    [
        pytest.param({**MCORE, "model.optim.grad_sync_dtype": "bf16"}, "1.23", True,
                     id="mcore_distributed_optim exists only in the NeMo 1.0 code inside 2.x"),
        pytest.param({**MCORE, "model.optim.grad_sync_dtype": "bf16"}, "2.x", False, id="2.x tree reads mcore_distributed_optim"),
        pytest.param({**BF16_O2, "model.optim.name": "fused_adam"}, "1.23", False, id="fused_adam exists in every release"),
    ],
)
def test_mcore_optim_outside_2x_is_reported(keys, release, noted) -> None:
    _, r = _reduce(keys, release)
    assert ("needs-nemo1-in-2x" in codes(r)) is noted


@pytest.mark.parametrize(
    ("keys", "release", "origin_key", "origin_kind"),
    [
        pytest.param(DIST, "1.23", None, "default",
                     id="no optim.dtype: Apex's default fp32 decides (distributed_adam.py: grad_sync_dtype defaults to dtype)"),
        pytest.param({**DIST, "model.optim.dtype": "fp32"}, "1.23", "model.optim.dtype", "derived",
                     id="optim.dtype fp32 written: grad_sync_dtype follows that key (mbm:728-729 reads optim.dtype)"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.20", "model.optim.dtype", "derived",
                     id="1.17-1.22 overwrite optim.dtype with fp32 (mbm:339-340): the key written is still the source"),
        pytest.param({**DIST, "model.optim.grad_sync_dtype": "bf16"}, "1.23", "model.optim.grad_sync_dtype", "key",
                     id="grad_sync_dtype written: read as is"),
    ],
)
def test_grad_reduce_dtype_provenance(keys, release, origin_key, origin_kind) -> None:
    reduce, _ = _reduce(keys, release)
    assert (reduce.origin.key, reduce.origin.kind) == (origin_key, origin_kind)


@pytest.mark.parametrize(
    ("keys", "release", "code", "noted"),
    [
        pytest.param({**BF16_O2, "model.optim.name": "fused_adam", "model.optim.grad_sync_dtype": "bf16"}, "1.23",
                     "grad-sync-dtype-ignored", True, id="grad_sync_dtype is an argument of distributed optimizers only"),
        pytest.param({**BF16_O2, "model.optim.name": "fused_adam"}, "1.23", "grad-sync-dtype-ignored", False,
                     id="fused_adam without grad_sync_dtype: nothing ignored"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.20", "optim-dtype-ignored", True,
                     id="1.17-1.22 force distributed Adam's state to fp32 (optim_kwargs['dtype'] = torch.float32)"),
        pytest.param({**DIST, "model.optim.dtype": "fp32"}, "1.20", "optim-dtype-ignored", False,
                     id="1.17-1.22 with optim.dtype fp32: the forced value is the written one"),
        pytest.param({**DIST, "model.optim.dtype": "bf16"}, "1.23", "optim-dtype-ignored", False,
                     id="1.23 honours optim.dtype (get_config_arg('dtype', torch.float32))"),
    ],
)
def test_optimizer_keys_not_read(keys, release, code, noted) -> None:
    _, r = _reduce(keys, release)
    assert (code in codes(r)) is noted


@pytest.mark.parametrize(
    ("keys", "detail"),
    [
        pytest.param({**BF16_O2, "model.optim.name": "fused_adam"}, "fp32 main gradients",
                     id="O2: MainParamsOptimizerWrapper accumulates and reduces fp32 main gradients"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": False, "model.optim.name": "fused_adam"},
                     "gradients of fp32 parameters", id="O1: fp32 parameters have fp32 gradients"),
    ],
)
def test_why_non_distributed_optimizers_reduce_fp32(keys, detail) -> None:
    reduce, _ = _reduce(keys)
    assert reduce.value == "fp32"
    assert detail in reduce.origin.detail


@pytest.mark.parametrize(
    ("release", "output_layer"),
    [
        pytest.param("1.20", False, id="1.17-1.20: word and position embeddings only (mbm:344)"),
        pytest.param("1.21", True, id="1.21+: output_layer joins them (mbm:464)"),
    ],
)
def test_fp32_embedding_gradients_per_release(release, output_layer) -> None:
    _, r = _reduce({**DIST, "model.optim.grad_sync_dtype": "bf16"}, release)
    [note] = [finding for finding in r.findings if finding.code == "embedding-grads-fp32"]
    assert ("output-layer" in note.message) is output_layer


FP16_O2 = {"trainer.precision": 16, "model.megatron_amp_O2": True}


@pytest.mark.parametrize(
    ("keys", "release", "refused"),
    [
        pytest.param({**FP16_O2, "model.optim.name": "fused_adam"}, "1.23", True, id="1.8+: fp16 O2 without distributed Adam raises"),
        pytest.param({**FP16_O2, "model.optim.name": "distributed_fused_adam"}, "1.23", False, id="distributed Adam allows fp16 O2"),
        pytest.param({**FP16_O2, "model.optim.name": "fused_adam"}, "1.7", False, id="1.6-1.7 allowed fp16 O2"),
        pytest.param({"precision": 16, "megatron_amp_O2": True, "optim.name": "fused_adam"}, "1.23", False,
                     id="a .nemo model_config.yaml records the original run: configure_optimizers is not this file's"),
    ],
)
def test_fp16_o2_refusal(keys, release, refused) -> None:
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


@pytest.mark.parametrize(
    ("clip", "kind"),
    [
        pytest.param(1.0, "key", id="a positive threshold is read as written"),
        pytest.param(0.0, "derived", id="configure_gradient_clipping: 0 never clips"),
        pytest.param(-1.0, "derived", id="configure_gradient_clipping: < 0 never clips"),
        pytest.param(float("inf"), "derived", id="an infinite threshold never clips"),
    ],
)
def test_clipping_says_why_it_never_clips(clip, kind) -> None:
    setting, _ = _clip({"trainer.precision": "bf16", "trainer.gradient_clip_val": clip})
    assert (setting.origin.kind, setting.origin.key) == (kind, "trainer.gradient_clip_val")
    assert ("never clips" in (setting.origin.detail or "")) is (kind == "derived")


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
