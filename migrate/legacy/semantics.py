"""NeMo 1.0 semantics: from one run of a legacy config to its effective PrecisionSpec.

This module only orders the facts; each fact is a small function in the module that cites its
source: `precision` (dtypes, O2, AMP mode), `optimizer` (grad-reduce dtype, clipping), `scaler`
(trainer builder, fp16 loss scaling), `fp8` (code path, Transformer Engine, recipe), `families`
(NeMo-Aligner, Stable Diffusion, benchmark harnesses), `roles` (which files are training runs) and
`versions` (which NeMo 1.x release's rules apply).
"""

from __future__ import annotations

from migrate.errors import shown
from migrate.legacy import families, hints
from migrate.legacy import fp8 as F
from migrate.legacy import optimizer as O
from migrate.legacy import precision as P
from migrate.legacy import scaler as S
from migrate.legacy import values as V
from migrate.legacy.fp8 import AMAX_ALGOS, FP8_RECIPES
from migrate.legacy.interpolation import Unknown
from migrate.legacy.layout import MODEL_PRECISION_KEYS, Layout
from migrate.legacy.reader import LegacyConfig
from migrate.legacy.reading import FactReader
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION, Release, nemo1_profile
from migrate.spec import Origin, PrecisionSpec, Setting


def build_spec(
    config: LegacyConfig,
    layout: Layout,
    release: Release,
    release_origin: Origin | None = None,
    builder: str | None = None,
) -> PrecisionSpec:
    """The effective NeMo 1.0 precision behaviour of one run; InputError where NeMo 1.0 would refuse it."""
    r = FactReader(config, layout, release, builder)
    _stable_diffusion(r)
    aligner = families.aligner(config, layout)

    trainer = P.trainer_precision(r)
    # NeMo-Aligner's SFT script sets `cfg.model.precision = cfg.trainer.precision` (train_gpt_sft.py:126-127).
    sft = "NeMo-Aligner's SFT script" if aligner is not None and aligner.algorithm == "sft" else None
    compute = P.compute_dtype(r, trainer, overwritten_by=sft)
    fsdp = P.fsdp(r)
    o2 = P.megatron_amp_o2(r, fsdp)
    P.refuse_o2_without_half(r, compute, o2)
    optim = O.optimizer_name(r)
    distributed = O.is_distributed(r, optim)
    O.refuse_fp16_o2(r, compute, o2, distributed)
    amp = P.amp_mode(r, compute, o2, fsdp)
    grad_reduce = O.grad_reduce_dtype(r, optim, distributed, o2, compute.value)
    builder_setting = S.trainer_builder(r)
    loss = S.loss_scaling(r, trainer, fsdp, builder_setting, compute)
    te = F.transformer_engine(r)
    path = F.code_path(r)
    fp8 = F.fp8_settings(r, path, te, fsdp)
    clip = O.gradient_clipping(r, aligner, optim)
    lm_ce = r.model("fp16_lm_cross_entropy", V.as_bool, False, "fp16_lm_cross_entropy = False")
    chunk = None
    if config.has(r.model_key("grad_allreduce_chunk_size_mb")):
        chunk = r.model("grad_allreduce_chunk_size_mb", lambda raw, p: V.as_int(raw, p, 1), 125, "125 MB")

    _aligner_notes(r, aligner)
    _nested_keys(r)
    _context_notes(r, release, release_origin)
    return PrecisionSpec(
        source=config.path,
        nemo1_version=release.name,
        code_path=path,
        transformer_engine=te,
        trainer_precision=trainer,
        compute_dtype=compute,
        megatron_amp_o2=o2,
        optimizer=optim,
        amp_mode=amp,
        params_dtype=P.params_dtype(compute, o2),
        pipeline_dtype=P.pipeline_dtype(compute),
        grad_reduce_dtype=grad_reduce,
        loss_scaling=loss,
        fp8=fp8,
        gradient_clip_val=clip,
        fsdp=fsdp,
        fp16_lm_cross_entropy=lm_ce,
        grad_allreduce_chunk_size_mb=chunk,
        findings=tuple(r.findings),
        role=Setting(layout.role, Origin.default(layout.evidence or layout.role)),
        release=Setting(release.name, release_origin or Origin.default(f"NeMo {DEFAULT_NEMO1_VERSION} (default)")),
        trainer_builder=builder_setting,
        run=layout.run,
        peft=families.peft(r),
        precision_plugin=S.precision_plugin(r, trainer, o2, fsdp, distributed),
    )


def _stable_diffusion(r: FactReader) -> None:
    """`unet_config.unet_precision: fp16` converts the UNet's weights, norm layers included, to fp16
    (NeMo v2.0.0 openaimodel.py:975-978): pure fp16, not O1 or O2. No target can express it."""
    raw = r.written(families.unet_precision_key(r.layout))
    if raw is None or not raw.known:
        return
    if raw.value == "fp16":
        raise NotExpressible(
            raw.origin,
            "Stable Diffusion with unet_config.unet_precision: fp16 trains pure fp16 weights (norm layers included); "
            "NeMo 2.0's MegatronMixedPrecision, Megatron Bridge and AutoModel have no such mode, and NeMo 2 has no "
            "Stable Diffusion training recipe: nothing equivalent can be written",
        )
    if raw.value == "fp16-mixed":
        r.note(
            "unet-fp16-mixed",
            "warning",
            "unet_precision: fp16-mixed keeps the UNet's Conv/Linear weights in fp16 with fp32 norm layers (O2-like); "
            "the migrated plugin describes the rest of the model",
            raw.origin,
        )


class NotExpressible(Exception):
    """A legacy run no target can express: the file is skipped with this reason (it is not bad input)."""

    def __init__(self, origin: Origin, message: str) -> None:
        super().__init__(message)
        self.origin = origin
        self.message = message


def _aligner_notes(r: FactReader, aligner: families.Aligner | None) -> None:
    """What the Aligner scripts do to the model's precision (research notes B.3)."""
    if aligner is None:
        return
    written = r.written(r.model_key("precision"))
    if aligner.algorithm in ("dpo", "kto", "spin", "knowledge_distillation") and written is None:
        r.note(
            "model-dtype-from-checkpoint",
            "warning",
            f"NeMo-Aligner's {aligner.algorithm} merges the restored checkpoint's config under model:, and this file "
            "sets no model.precision: the model dtype was the checkpoint's saved precision; the migration assumes "
            "trainer.precision",
            r.config.origin_of(aligner.section),
        )
    rm = r.written(r.layout.root_key("rm.trainer.precision"))
    if rm is not None:
        r.note(
            "reward-model-precision",
            "info",
            f"rm.trainer.precision ({shown(rm.value)}) is the DRaFT+ reward model's own precision (it only scores "
            "images; no optimizer): not part of the policy's training precision",
            rm.origin,
        )


def _nested_keys(r: FactReader) -> None:
    """Precision keys below sub-sections of the model (e.g. model.text.fp8) are not read."""
    if not r.layout.model:
        return
    model = r.config.section(r.layout.model)
    if not isinstance(model, dict):
        return
    for name, child in model.items():
        if name in ("optim", "unet_config") or not isinstance(child, dict):
            continue
        for dotted in _precision_keys_below(child, f"{r.layout.model}.{name}"):
            raw = r.written(dotted)
            r.note(
                "nested-precision-key",
                "info",
                "nested below the model section: NeMo 1.0's Megatron trainer does not read it, so neither does the migration",
                raw.origin if raw else None,
            )


def _precision_keys_below(node: dict, prefix: str) -> list[str]:
    found: list[str] = []
    for key, value in node.items():
        dotted = f"{prefix}.{key}"
        if (
            key in MODEL_PRECISION_KEYS
            and key not in ("mcore_gpt", "fsdp")
            or (isinstance(key, str) and key.startswith("fp8_") and key != "fp8_buf")
        ):
            found.append(dotted)
        elif isinstance(value, dict):
            found.extend(_precision_keys_below(value, dotted))
    return found


def _context_notes(r: FactReader, release: Release, release_origin: Origin | None) -> None:
    if r.layout.role == "model-only":
        r.note(
            "model-only-config",
            "info",
            "a model-only config (a .nemo model_config.yaml): it records the run that produced the checkpoint. A "
            "PEFT or SFT job restoring it overwrites its precision with the job's own trainer.precision (NeMo 1.23 "
            "nlp_adapter_mixins.py:460), so migrate that job's config for the fine-tune",
        )
    for name in r.config.package_mounts():
        r.note(
            "hydra-package-mount",
            "info",
            f"references like ${{{name}.trainer.precision}} were resolved against this file, as the "
            f"NeMo-Framework-Launcher composes it under the package `{name}`",
        )
    _release_hint(r, release, release_origin)
    runner = families.harness_runner(r.path)
    if runner is not None:
        r.note(
            "harness-runner",
            "warning",
            f"a benchmark harness config ({runner}): its own runner, not NeMo's example scripts, reads this file, "
            "and the tool does not know that runner's rules (MLPerf runners key the loss scaler on other keys, ignore "
            "megatron_amp_O2 or hard-code clipping); check each migrated value against the runner",
        )


def _release_hint(r: FactReader, release: Release, release_origin: Origin | None) -> None:
    """Offer the release the file gives away when it is not the one applied; never apply it."""
    hint = hints.from_path(r.path) or hints.from_keys(r.config, r.layout)
    if hint is None or nemo1_profile(hint.release).name == release.name:
        return
    chosen = release_origin is not None and release_origin.kind == "option"
    r.note(
        "release-hint",
        "info" if chosen else "warning",
        f"{hint.evidence}: this config probably ran NeMo {hint.release}'s rules, but NeMo {release.name}'s were applied "
        f"({'as asked' if chosen else 'the default'}); pass --nemo1-version {hint.release} if the job ran there",
    )


__all__ = ["build_spec", "FP8_RECIPES", "AMAX_ALGOS", "Unknown", "NotExpressible"]
