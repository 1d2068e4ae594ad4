"""NeMo 1.0 facts about dtypes: the trainer's precision, the model's dtype, O2, the AMP mode, and the
parameter and pipeline dtypes. One function per fact; each cites the source it follows (research
notes: nemo1-nemo2-semantics.md sections 1.1-1.3; release boundaries in migrate/legacy/versions.py).
"""

from __future__ import annotations

from migrate.legacy import values as V
from migrate.legacy.reading import FactReader
from migrate.spec import Origin, Setting

LIGHTNING_DEFAULT = "PyTorch Lightning default precision '32-true'"
LIGHTNING2_ONLY = ("16-mixed", "bf16-mixed", "32-true")


def _precision(r: FactReader, raw) -> str:
    """A precision value as a dtype, refusing spellings this release's Lightning did not know."""
    value = V.require_known(raw, r.path)
    text = value.strip() if isinstance(value, str) else value
    if not r.release.lightning2_spellings and text in LIGHTNING2_ONLY:
        raise r.fail(
            raw.origin,
            f"{raw.origin.key}: {text!r} is a PyTorch Lightning 2.0 spelling; NeMo {r.release.name} runs Lightning 1.x, "
            "which refuses it (use 16, bf16 or 32, or pass the --nemo1-version the job really ran)",
            "NMP106",
        )
    return V.as_precision(raw, r.path)


def trainer_precision(r: FactReader) -> Setting[str]:
    """The dtype the trainer's precision plugin was built for (`trainer.precision`, Lightning default 32).

    A model-only config (a `.nemo` model_config.yaml) has no trainer: its root `precision` recorded the
    trainer of the original run (NeMo 1.21+ saves the filled-in value)."""
    layout = r.layout
    if layout.has_trainer:
        raw = r.raw(r.trainer_key("precision"))
        if raw is None:
            return Setting("fp32", Origin.default(LIGHTNING_DEFAULT))
        return Setting(_precision(r, raw), raw.origin)
    root = r.raw(r.model_key("precision")) if not layout.model else None
    if root is not None:
        r.note(
            "no-trainer-section",
            "info",
            "no trainer section: the model's root `precision` is taken as the training precision too",
            root.origin,
        )
        return Setting(_precision(r, root), root.origin)
    r.note("no-trainer-section", "info", "no trainer section: PyTorch Lightning's default '32-true' assumed")
    return Setting("fp32", Origin.default(LIGHTNING_DEFAULT))


def compute_dtype(r: FactReader, trainer: Setting[str], overwritten_by: str | None = None) -> Setting[str]:
    """The model's dtype. NeMo 1.21+ (MegatronBaseModel.__init__): `model.precision` wins over the trainer;
    NeMo 1.5-1.20 example scripts overwrote it with `trainer.precision` (`cfg.model.precision =
    cfg.trainer.precision`, megatron_gpt_pretraining.py), so there the trainer decides; so do scripts that
    always copy it (`overwritten_by` names one, e.g. NeMo-Aligner's SFT script)."""
    key = r.model_key("precision")
    raw = r.raw(key)
    if raw is None or not r.layout.model:
        return trainer  # absent (or it is the trainer precision itself): the model follows the trainer
    dtype = _precision(r, raw)
    if overwritten_by is None and not r.release.model_precision_wins:
        overwritten_by = f"NeMo {r.release.name}'s training scripts (model.precision only wins from NeMo 1.21)"
    if overwritten_by is not None:
        if dtype != trainer.value:
            r.note(
                "model-precision-overwritten",
                "warning",
                f"{key} ({dtype}) is overwritten by trainer.precision ({trainer.value}) in {overwritten_by}: "
                f"the model trained in {trainer.value}",
                raw.origin,
            )
        return trainer
    if dtype != trainer.value:
        r.note(
            "model-precision-differs",
            "warning",
            f"{raw.origin.key} ({dtype}) differs from the trainer precision ({trainer.value}): NeMo 1.0 "
            f"built the model in {dtype}; NeMo 2.0 has one precision, taken from {raw.origin.key}",
            raw.origin,
        )
    return Setting(dtype, raw.origin)


def fsdp(r: FactReader) -> Setting[bool]:
    """PyTorch FSDP (`model.fsdp`), read from NeMo 1.23 (megatron_trainer_builder.py:54)."""
    if not r.release.has_fsdp:
        raw = r.written(r.model_key("fsdp"))
        if raw is not None:
            r.note("fsdp-ignored", "info", f"not read before NeMo 1.23 (these are NeMo {r.release.name} rules)", raw.origin)
        return Setting(False, Origin.default(f"no FSDP in NeMo {r.release.name}"))
    return r.model("fsdp", V.as_bool, False, "fsdp = False (code default)")


def megatron_amp_o2(r: FactReader, fsdp_setting: Setting[bool]) -> Setting[bool]:
    """`model.megatron_amp_O2` (v1.6.0+; default False). FSDP forces it off (v1.23 builder). The shipped
    `megatron_amp_02` typo (digit zero) is not read."""
    typo = r.raw(r.model_key("megatron_amp_02")) or (r.raw("megatron_amp_02") if r.layout.model else None)
    if typo is not None:
        r.note(
            "megatron-amp-o2-typo",
            "warning",
            "megatron_amp_02 (digit zero) is not read by NeMo 1.0 training; megatron_amp_O2 (letter O) is",
            typo.origin,
        )
    if not r.release.reads_megatron_amp_o2:
        raw = r.written(r.model_key("megatron_amp_O2"))
        if raw is not None:
            r.note("megatron-amp-o2-ignored", "info", "O2 arrived in NeMo 1.6; NeMo 1.5 trained O1", raw.origin)
        return Setting(False, Origin.default("no megatron_amp_O2 before NeMo 1.6"))
    setting = r.model("megatron_amp_O2", V.as_bool, False, "megatron_amp_O2 = False (code default)")
    if setting.value and fsdp_setting.value:
        return Setting(False, Origin.derived_from("FSDP forces megatron_amp_O2 to False", fsdp_setting.origin))
    return setting


def refuse_o2_without_half(r: FactReader, compute: Setting[str], o2: Setting[bool]) -> None:
    """Float16Module raises "Either config.fp16 or config.bf16 should be True" (section 1.3)."""
    if o2.value and compute.value == "fp32":
        raise r.fail(
            o2.origin,
            "megatron_amp_O2: True with precision 32: NeMo 1.0 refuses this (Float16Module needs fp16 or bf16)",
            "NMP108",
        )


def amp_mode(r: FactReader, compute: Setting[str], o2: Setting[bool], fsdp_setting: Setting[bool]) -> Setting[str]:
    """"fp32", "O2" (half weights, fp32 main weights) or "O1" (fp32 weights under autocast):
    ModelParallelConfig.enable_autocast = not O2 and half (section 1.3). In NeMo 1.7-1.17 Apex's pipeline
    schedules autocast under O2 too (reported, not a mode of its own)."""
    if compute.value == "fp32":
        return Setting("fp32", Origin.derived_from("fp32 training", compute.origin))
    if o2.value:
        if r.release.autocast_under_o2:
            r.note(
                "o2-with-autocast",
                "warning",
                f"NeMo {r.release.name} ran O2 under autocast as well (Apex's pipeline schedules autocast for any half "
                "dtype until NeMo 1.18): ops autocast keeps in fp32 (softmax, layer norm) ran in fp32 on half weights; "
                "NeMo 2.0's O2 does not autocast",
                o2.origin,
            )
        return Setting("O2", o2.origin)
    detail = "FSDP forces megatron_amp_O2 to False" if fsdp_setting.value else "megatron_amp_O2 False: fp32 weights + torch.autocast"
    return Setting("O1", Origin.derived_from(detail, o2.origin))


def params_dtype(compute: Setting[str], o2: Setting[bool]) -> Setting[str]:
    """MegatronBaseModel: params_dtype is the half dtype only with O2, else fp32 (mbm:119-131)."""
    if o2.value and compute.value in ("fp16", "bf16"):
        return Setting(compute.value, Origin.derived_from(f"O2 keeps the weights in {compute.value}", o2.origin))
    return Setting("fp32", Origin.default("parameters are fp32 unless megatron_amp_O2 with fp16/bf16"))


def pipeline_dtype(compute: Setting[str]) -> Setting[str]:
    """build_model_parallel_config: pipeline_dtype follows the model dtype."""
    return Setting(
        compute.value, Origin.derived_from(f"pipeline_dtype follows the model dtype {compute.value}", compute.origin)
    )
