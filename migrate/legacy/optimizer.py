"""NeMo 1.0 facts about the optimizer: which one, the gradient-reduction dtype, and gradient clipping.

Sources: nemo1-nemo2-semantics.md section 1.5 (grad-reduce dtype), research notes A.6 (distributed
Adam per release), A.8 (clipping) and B.2 (NeMo-Aligner clips with its algorithm section's value).
"""

from __future__ import annotations

import math

from migrate.errors import shown
from migrate.legacy import values as V
from migrate.legacy.families import Aligner
from migrate.legacy.reading import FactReader
from migrate.legacy.versions import MCORE_DISTRIBUTED_OPTIM
from migrate.spec import Origin, Setting

LIGHTNING_NO_CLIP = "PyTorch Lightning gradient_clip_val = None: no clipping"


def optimizer_name(r: FactReader) -> Setting[str | None]:
    """`model.optim.name`; an optimizer section without a name is still a training run (named at launch)."""
    raw = r.raw(r.model_key("optim.name"))
    if raw is None:
        if r.config.section(r.model_key("optim")) is not None:
            return Setting("", Origin.default("model.optim has no name: chosen at launch"))
        return Setting(None, Origin.default("no optimizer configured"))
    value = V.require_known(raw, r.path)
    return Setting(None if value is None else str(value), raw.origin)


def is_distributed(r: FactReader, optim: Setting[str | None]) -> bool:
    """Distributed Adam (v1.13+) or, on the 2.x tree, Megatron-core's distributed optimizer."""
    if optim.value == MCORE_DISTRIBUTED_OPTIM and optim.value not in r.release.distributed_optimizers:
        r.note(
            "needs-nemo1-in-2x",
            "warning",
            f"optim.name 'mcore_distributed_optim' exists only in the NeMo 1.0 code shipped inside NeMo 2.x; "
            f"these semantics are NeMo {r.release.name}: pass --nemo1-version 2.x",
            optim.origin,
        )
    return optim.value in r.release.distributed_optimizers


def refuse_fp16_o2(r: FactReader, compute: Setting[str], o2: Setting[bool], distributed: bool) -> None:
    """MegatronBaseModel.configure_optimizers raises for fp16 O2 without distributed Adam (v1.8+, section 1.3).
    A root-level model_config.yaml (from a .nemo) records the original run, not this one."""
    has_optim = bool(r.layout.model) and r.config.section(r.model_key("optim")) is not None
    if compute.value == "fp16" and o2.value and not distributed and has_optim and r.release.refuses_fp16_o2:
        raise r.fail(
            o2.origin,
            "precision 16 with megatron_amp_O2: True needs optim.name: distributed_fused_adam; "
            "NeMo 1.0 raises 'fp16 training is not yet supported with O2'",
            "NMP109",
        )


def grad_reduce_dtype(
    r: FactReader, optim: Setting[str | None], distributed: bool, o2: Setting[bool], compute: str
) -> Setting[str]:
    """The dtype gradients are all-reduced in. Distributed Adam: `grad_sync_dtype`, defaulting to the
    optimizer dtype (v1.17-v1.22 force that to fp32); mcore_distributed_optim (2.x tree):
    `grad_reduce_in_fp32 = (grad_sync_dtype or 'fp32') == 'fp32'`; every other optimizer reduces fp32
    gradients (fp32 parameters under O1, fp32 main gradients under O2)."""
    half = compute in ("fp16", "bf16")
    sync = r.raw(r.model_key("optim.grad_sync_dtype"))
    if optim.value == MCORE_DISTRIBUTED_OPTIM and distributed:
        if sync is None:
            return Setting("fp32", Origin.default("mcore_distributed_optim grad_sync_dtype = 'fp32'"))
        value = V.require_known(sync, r.path)
        # Any spelling other than the literal 'fp32' (even 'float32') reduces in the parameter dtype.
        return Setting("fp32" if value == "fp32" or not half else compute, sync.origin)
    if distributed:
        state = _optimizer_state_dtype(r)
        if sync is not None:
            reduce = Setting(V.as_dtype(sync, r.path), sync.origin)
        elif state.value != "fp32" or state.origin.kind != "default":
            reduce = Setting(state.value, Origin.derived_from("grad_sync_dtype defaults to the optimizer dtype", state.origin))
        else:
            reduce = Setting("fp32", Origin.default("distributed Adam grad_sync_dtype = optimizer dtype = fp32"))
        _embedding_grads_note(r, reduce, state)
        return reduce
    if sync is not None:
        r.note(
            "grad-sync-dtype-ignored",
            "info",
            f"read only by distributed optimizers; with optim.name {shown(optim.value)} NeMo 1.0 reduced gradients in fp32",
            sync.origin,
        )
    detail = "fp32 main gradients (megatron_amp_O2)" if o2.value and half else "gradients of fp32 parameters"
    return Setting("fp32", Origin.default(f"gradients reduced in fp32 ({detail})"))


def _optimizer_state_dtype(r: FactReader) -> Setting[str]:
    """Distributed Adam's `optim.dtype` (default fp32); NeMo 1.17-1.22 overwrite it with fp32 (mbm:339-340)."""
    raw = r.raw(r.model_key("optim.dtype"))
    if raw is None:
        return Setting("fp32", Origin.default("distributed Adam dtype = fp32"))
    dtype = V.as_dtype(raw, r.path)
    if r.release.distributed_adam_state_forced_fp32:
        if dtype != "fp32":
            r.note(
                "optim-dtype-ignored",
                "warning",
                f"NeMo {r.release.name} forces distributed Adam's optimizer state to fp32 (optim.dtype is overwritten), "
                "so its gradients were reduced in fp32 unless grad_sync_dtype says otherwise",
                raw.origin,
            )
        return Setting("fp32", Origin.derived_from(f"NeMo {r.release.name} forces the optimizer dtype to fp32", raw.origin))
    return Setting(dtype, raw.origin)


def _embedding_grads_note(r: FactReader, reduce: Setting[str], state: Setting[str]) -> None:
    """NeMo 1.17+ keep embedding (1.21+: and output-layer) gradients in an fp32 bucket whatever
    grad_sync_dtype says (1.23: while the optimizer dtype is fp32; mbm:728-735, distributed_adam.py:96-107)."""
    if reduce.value == "fp32" or not r.release.fp32_embedding_grads:
        return
    if r.release.since(23) and state.value != "fp32":
        return
    layers = "embedding, position-embedding and output-layer" if r.release.since(21) else "embedding and position-embedding"
    r.note(
        "embedding-grads-fp32",
        "warning",
        f"distributed Adam with grad_sync_dtype {reduce.value}: NeMo {r.release.name} still reduced the {layers} "
        f"gradients in fp32. The targets have one reduction dtype for all gradients: the closest setting "
        f"(grad_reduce_in_fp32=False; AutoModel reduce_dtype) reduces those in {reduce.value} too",
        reduce.origin,
    )


def gradient_clipping(r: FactReader, aligner: Aligner | None, optim: Setting[str | None]) -> Setting[float | None]:
    """The norm gradients were clipped at: 0.0 for none, None when this file does not decide it.

    MegatronBaseModel.configure_gradient_clipping: `trainer.gradient_clip_val` None or <= 0 does not clip,
    and an infinite threshold never clips either. NeMo-Aligner's trainers clip with their algorithm
    section's value (`trainer.<algo>.gradient_clip_val`), except with a Megatron-core optimizer, which
    reads the trainer's value (Aligner v0.7 links the two). A model-only file has no trainer at all."""
    if not r.layout.has_trainer:
        r.note(
            "clipping-unknown",
            "warning",
            "no trainer section: this file does not decide gradient clipping (the job that used it did); NeMo 2.0's "
            "OptimizerConfig clips at 1.0 unless clip_grad says otherwise",
        )
        return Setting(None, Origin.default("no trainer section: clipping is decided by the job that uses this file"))
    key = r.trainer_key("gradient_clip_val")
    if aligner is not None and optim.value not in (MCORE_DISTRIBUTED_OPTIM, "megatron_fused_adam"):
        key = aligner.clip_key
        if r.written(key) is None:
            r.note(
                "clipping-unknown",
                "warning",
                f"NeMo-Aligner's {aligner.algorithm} trainer clips with {key}, which this file does not set (it was given "
                "at launch; the shipped configs use 1.0): set clip_grad in NeMo 2.0's OptimizerConfig to that value",
                r.config.origin_of(aligner.section),
            )
            return Setting(None, Origin.default(f"{key} is not set in this file"))
    raw = r.raw(key)
    if raw is None:
        return Setting(0.0, Origin.default(LIGHTNING_NO_CLIP))
    value = V.require_known(raw, r.path)
    if value is None:
        return Setting(0.0, Origin.derived_from("null: no clipping", raw.origin))
    clip = V.as_float(raw, r.path, finite=False)
    if math.isnan(clip):
        raise r.fail(raw.origin, "gradient_clip_val: .nan is not a clipping threshold")
    if math.isinf(clip) or clip <= 0:
        return Setting(0.0, Origin.derived_from(f"{value!r}: never clips", raw.origin))
    return Setting(clip, raw.origin)
