"""NeMo 1.0 facts about fp16 loss scaling: which trainer builder built the run, and its GradScaler.

The training *script* picks the builder, not the YAML: the heuristic below guesses from the config's
shape and `--trainer-builder` overrides it. Sources: long-tail-semantics.md ("NeMo 1.23 trainer and
GradScaler"), research notes A.5 (scaler per release, builders) and E.2 (which scripts use which builder).
"""

from __future__ import annotations

from migrate.legacy import values as V
from migrate.legacy.reading import FactReader
from migrate.spec import LossScaling, Origin, Setting

TRAINER_BUILDERS = ("gpt", "bert", "t5", "lmpp")
# torch.cuda.amp.GradScaler defaults: what Lightning's own AMP plugin uses when NeMo's is not chosen.
TORCH_SCALER = (float(2**16), 2000)


def trainer_builder(r: FactReader) -> Setting[str]:
    """gpt (pretraining, SFT before 1.23, Aligner), bert (hysteresis 1), t5, or lmpp (PEFT and, from 1.23,
    SFT: the fp16 scaler is off with pipeline parallelism > 1)."""
    if r.builder_override:
        return Setting(r.builder_override, Origin.option(f"--trainer-builder {r.builder_override}"))
    name = r.written(r.layout.root_key("name"))
    if name is not None and isinstance(name.value, str) and "retro" in name.value.lower():
        # megatron_retro_pretraining.py builds its own GradScaler with MegatronTrainerBuilder's arguments; its
        # config's bert_binary_head is not a BERT signal.
        return Setting("gpt", Origin.derived_from(
            "the job name says RETRO: megatron_retro_pretraining.py builds its GradScaler as MegatronTrainerBuilder does",
            name.origin))
    for key in ("mcore_bert", "bert_binary_head"):
        raw = r.written(r.model_key(key))
        if raw is not None:
            return Setting("bert", Origin.derived_from(f"{key} is a BERT key: MegatronBertTrainerBuilder", raw.origin))
    if name is not None and isinstance(name.value, str):
        lowered = name.value.lower()
        if "bert" in lowered:
            return Setting("bert", Origin.derived_from("the job name says BERT: MegatronBertTrainerBuilder", name.origin))
    peft = r.config.section(r.model_key("peft"))
    if peft is not None and r.release.peft_disables_scaler_with_pp:
        return Setting("lmpp", Origin.derived_from("model.peft: a PEFT config, trained by MegatronLMPPTrainerBuilder",
                                                   r.config.origin_of(r.model_key("peft"))))
    restore = r.written(r.model_key("restore_from_path"))
    train_ds = r.config.section(r.model_key("data.train_ds"))
    if restore is not None and train_ds is not None and r.release.sft_script_disables_scaler_with_pp:
        return Setting(
            "lmpp",
            Origin.derived_from(
                "restore_from_path + data.train_ds: an SFT config, trained by megatron_gpt_finetuning.py "
                "(MegatronLMPPTrainerBuilder) in NeMo 1.23",
                restore.origin,
            ),
        )
    if name is not None and isinstance(name.value, str) and "t5" in name.value.lower():
        return Setting("t5", Origin.derived_from("the job name says T5: MegatronT5TrainerBuilder", name.origin))
    if not r.release.since(21):
        return Setting("gpt", Origin.default(
            f"the GPT pretraining script's own GradScaler (NeMo {r.release.name} has no trainer builders); pass "
            "--trainer-builder if another script ran it"))
    return Setting("gpt", Origin.default("MegatronTrainerBuilder (GPT pretraining); pass --trainer-builder if another script ran it"))


def loss_scaling(r: FactReader, trainer: Setting[str], fsdp: Setting[bool], builder: Setting[str],
                 compute: Setting[str]) -> LossScaling:
    """NeMo's GradScaler for fp16 (dynamic; growth 2, backoff 0.5): init 2**32, window 1000, hysteresis 2
    (MegatronTrainerBuilder._grad_scaler); BERT's builder passes no hysteresis (GradScaler default 1);
    NeMo 1.5 had no hysteresis; the LMPP builder disables the scaler when pipeline_model_parallel_size > 1."""
    fp16 = trainer.value == "fp16"
    written = r.written(r.trainer_key("precision"))
    nemo_scaler = fp16 and (written is None or r.release.gets_nemo_scaler(written.value))
    if not fp16:
        _unused_keys(r)
    enabled, why, source = _enabled(r, fp16, fsdp, builder)
    enabled_origin = Origin.derived_from(why, source or trainer.origin)
    applied = scale_applied(r, enabled, compute)
    if fp16 and not nemo_scaler:
        r.note(
            "lightning-amp-scaler",
            "warning",
            f"trainer.precision {written.value!r} is not one of the spellings NeMo {r.release.name}'s script gives its own "
            "plugin (16 or 'bf16'): PyTorch Lightning's AMP plugin with torch's default GradScaler (init 2**16, "
            "growth interval 2000, no hysteresis) ran instead (by code reading)",
            written.origin,
        )
        return LossScaling(
            enabled=Setting(enabled, enabled_origin),
            initial_scale=Setting(TORCH_SCALER[0], Origin.default("torch GradScaler init_scale = 2**16")),
            growth_interval=Setting(TORCH_SCALER[1], Origin.default("torch GradScaler growth_interval = 2000")),
            hysteresis=Setting(1, Origin.default("torch GradScaler has no hysteresis")),
            min_scale=Setting(None, Origin.default("torch GradScaler has no minimum loss scale")),
            applied=applied,
        )
    initial = _scaler_arg(r, fp16, "native_amp_init_scale", lambda raw, p: V.as_float(raw, p, True), float(2**32), "2**32")
    window = _scaler_arg(r, fp16, "native_amp_growth_interval", lambda raw, p: V.as_int(raw, p, 1), 1000, "1000")
    return LossScaling(
        enabled=Setting(enabled, enabled_origin),
        initial_scale=initial,
        growth_interval=window,
        hysteresis=_hysteresis(r, fp16, builder),
        min_scale=Setting(None, Origin.default("NeMo GradScaler has no minimum loss scale")),
        applied=applied,
    )


def scale_applied(r: FactReader, enabled: bool, compute: Setting[str]) -> Setting[bool]:
    """Whether Megatron's schedule multiplies the loss by the GradScaler's scale (its grad_scale_func).
    NeMo 1.21-1.22 hand it over only when the *model* dtype is fp16 (megatron_base_model.py
    build_model_parallel_config: `scaler.scale if self.torch_dtype == torch.float16`); 1.23 and the 2.x
    tree whenever trainer.precision is 16 (`if self.trainer.precision in ["16", "16-mixed"]`), as do the
    earlier releases, whose scripts copy trainer.precision into the model (`if self.cfg.precision == 16`)."""
    if not enabled:
        return Setting(False, Origin.default("no GradScaler"))
    if r.release.scale_func_follows_model_dtype and compute.value != "fp16":
        return Setting(False, Origin.derived_from(
            f"NeMo {r.release.name} gives Megatron the GradScaler only for an fp16 model (build_model_parallel_config); "
            f"this model is {compute.value}: the loss is not scaled, yet the optimizer step unscales the gradients",
            compute.origin))
    return Setting(True, Origin.default("Megatron's grad_scale_func is the GradScaler's scale (build_model_parallel_config)"))


def _scaler_arg(r: FactReader, fp16: bool, name: str, convert, default, shown_default: str) -> Setting:
    """One GradScaler argument (`cfg.model.get(name, default)` in the builder); read only for fp16, the only
    precision that builds a GradScaler (elsewhere the default stands, unread and never emitted)."""
    detail = f"{name} = {shown_default}"
    if not fp16:
        return Setting(default, Origin.default(detail))
    return r.model(name, convert, default, detail)


def _enabled(r: FactReader, fp16: bool, fsdp: Setting[bool], builder: Setting[str]) -> tuple[bool, str, Origin | None]:
    """Whether a GradScaler ran, why, and the key that decided it (None: trainer.precision)."""
    if not fp16:
        return False, "no loss scaling: not fp16", None
    if fsdp.value and not r.release.fsdp_fp16_has_scaler:
        return False, "no GradScaler with FSDP (NeMo 1.0 in 2.x)", None
    if builder.value == "lmpp":
        pp = r.raw(r.model_key("pipeline_model_parallel_size"))
        size = V.as_int(pp, r.path, 1) if pp is not None else 1
        if size > 1:
            why = f"MegatronLMPPTrainerBuilder disables the GradScaler with pipeline_model_parallel_size {size} > 1"
            return False, why, pp.origin
    return True, "NeMo GradScaler for precision 16", None


def _hysteresis(r: FactReader, fp16: bool, builder: Setting[str]) -> Setting[int]:
    written = r.written(r.model_key("hysteresis"))
    if builder.value == "bert":
        if written is not None and fp16:
            r.note(
                "hysteresis-ignored-bert",
                "info",
                "not read by NeMo 1.0's BERT trainer builder (it uses hysteresis 1)",
                written.origin,
            )
        return Setting(1, Origin.derived_from("MegatronBertTrainerBuilder does not pass hysteresis: GradScaler default 1", builder.origin))
    if not r.release.hysteresis_read:
        if written is not None and fp16:
            r.note("hysteresis-ignored", "info", "NeMo 1.5's GradScaler has no hysteresis: it backs off on every overflow", written.origin)
        return Setting(1, Origin.default("NeMo 1.5 GradScaler: no hysteresis"))
    return _scaler_arg(r, fp16, "hysteresis", lambda raw, p: V.as_int(raw, p, 1), 2, "2")


def _unused_keys(r: FactReader) -> None:
    for name in ("native_amp_init_scale", "native_amp_growth_interval", "hysteresis"):
        raw = r.written(r.model_key(name))
        if raw is not None:
            r.note("loss-scaling-key-unused", "info", "only matters for precision 16; no effect here", raw.origin)


def precision_plugin(
    r: FactReader, trainer: Setting[str], o2: Setting[bool], fsdp: Setting[bool], distributed: bool
) -> Setting[str]:
    """The Lightning precision plugin NeMo 1.0 built (MegatronTrainerBuilder._plugins; before 1.21 the
    pretraining script): MegatronHalfPrecisionPlugin for O2 without distributed Adam (whose own
    optimizer keeps the fp32 copy), PipelineMixedPrecisionPlugin for any other half precision (FSDP in
    1.23 included: its builder has no FSDP plugin), the 2.x tree's FSDPMixedPrecisionPlugin under FSDP;
    fp32 gets none. NeMo 1.5-1.6 used Lightning's NativeMixedPrecisionPlugin for O1."""
    written = r.written(r.trainer_key("precision"))
    half = trainer.value in ("fp16", "bf16")
    if not half:
        return Setting("none", Origin.derived_from("no precision plugin for precision 32", trainer.origin))
    if written is not None and not r.release.gets_nemo_scaler(written.value):
        return Setting("Lightning's own AMP plugin", Origin.derived_from(
            f"NeMo {r.release.name}'s script adds its plugin only for 16 or 'bf16'", written.origin))
    if fsdp.value and r.release.fsdp_precision_plugin:
        return Setting("FSDPMixedPrecisionPlugin", Origin.derived_from("NeMo's FSDP strategy plugin", fsdp.origin))
    if fsdp.value:
        return Setting("PipelineMixedPrecisionPlugin", Origin.derived_from(
            f"FSDP in NeMo {r.release.name}: the builder still builds PipelineMixedPrecisionPlugin (FSDP's mixed precision "
            "is NLPFSDPStrategy's own; FSDPMixedPrecisionPlugin came after 1.23.0)", fsdp.origin))
    if o2.value and not distributed:
        return Setting("MegatronHalfPrecisionPlugin", Origin.derived_from("O2 without distributed Adam", o2.origin))
    if not r.release.since(7) and not o2.value:
        return Setting("NativeMixedPrecisionPlugin", Origin.derived_from(
            f"NeMo {r.release.name} ran O1 through Lightning's native AMP", trainer.origin))
    why = "O2 with distributed Adam" if o2.value else "O1 (fp32 weights under autocast)"
    return Setting("PipelineMixedPrecisionPlugin", Origin.derived_from(why, o2.origin if o2.value else trainer.origin))
