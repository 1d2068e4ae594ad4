"""NeMo 1.0 semantics: from a legacy config to the effective PrecisionSpec.

Each rule cites the section of the semantics notes (nemo1-nemo2-semantics.md) that establishes it.
Values are read lazily, only where NeMo 1.0 would read them, so an unresolvable value is an
error only when the result depends on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from migrate.errors import InputError, Location, shown
from migrate.legacy import values as V
from migrate.legacy.layout import MODEL_PRECISION_KEYS, Layout
from migrate.legacy.origin import Origin, Unknown
from migrate.legacy.reader import LegacyConfig, RawValue
from migrate.legacy.versions import Nemo1Profile
from migrate.spec import Finding, Fp8, LossScaling, PrecisionSpec, Setting

FP8_RECIPES = ("delayed", "tensorwise", "blockwise", "mxfp8")
AMAX_ALGOS = ("max", "most_recent")


class _Builder:
    def __init__(self, config: LegacyConfig, layout: Layout, profile: Nemo1Profile) -> None:
        self.config = config
        self.layout = layout
        self.profile = profile
        self.path = config.path
        self.findings: list[Finding] = []
        self._reported_env: set[str] = set()

    # -- reading -----------------------------------------------------------------------------
    def raw(self, dotted: str) -> RawValue | None:
        raw = self.config.get(dotted)
        if raw is not None and raw.env_defaults and dotted not in self._reported_env:
            self._reported_env.add(dotted)
            names = ", ".join(raw.env_defaults)
            self.note(
                "env-default-used",
                "warning",
                f"{dotted} depends on environment variable {names}, not given with --env: the default "
                f"written in the config was used ({shown(raw.value)}); pass --env {raw.env_defaults[0]}=VALUE "
                "to migrate the value your jobs really set",
                raw.origin,
            )
        return raw

    def model_key(self, name: str) -> str:
        return self.layout.key(name)

    def read(
        self,
        dotted: str,
        convert: Callable[[RawValue, str], Any],
        default: Any,
        default_detail: str,
    ) -> Setting[Any]:
        raw = self.raw(dotted)
        if raw is None:
            return Setting(default, Origin.default(default_detail))
        return Setting(convert(raw, self.path), raw.origin)

    def model(
        self, name: str, convert: Callable[[RawValue, str], Any], default: Any, detail: str
    ) -> Setting[Any]:
        return self.read(self.model_key(name), convert, default, detail)

    def note(self, code: str, severity: str, message: str, origin: Origin | None = None) -> None:
        self.findings.append(Finding(code, severity, message, origin))

    def fail(self, origin: Origin | None, message: str) -> InputError:
        if origin is None:
            return InputError(Location(self.path), message)
        return InputError(Location(self.path, origin.line, origin.col), message)

    # -- precision and dtypes (sections 1.1-1.3) ---------------------------------------------
    def trainer_precision(self) -> Setting[str]:
        if self.layout.has_trainer:
            return self.read(
                "trainer.precision", V.as_precision, "fp32", "PyTorch Lightning default precision '32-true'"
            )
        root = self.raw(self.model_key("precision")) if not self.layout.model else None
        if root is not None:
            self.note(
                "no-trainer-section",
                "info",
                "no trainer section: the model's root `precision` is taken as the training precision too",
                root.origin,
            )
            return Setting(V.as_precision(root, self.path), root.origin)
        self.note(
            "no-trainer-section", "info", "no trainer section: PyTorch Lightning's default '32-true' assumed"
        )
        return Setting("fp32", Origin.default("PyTorch Lightning default precision '32-true'"))

    def compute_dtype(self, trainer: Setting[str]) -> Setting[str]:
        # MegatronBaseModel.__init__: `model.precision` wins over trainer.precision (section 1.1, row 3).
        raw = self.raw(self.model_key("precision"))
        if raw is None:
            return trainer  # model.precision absent: the model follows the trainer
        dtype = V.as_precision(raw, self.path)
        if dtype != trainer.value:
            self.note(
                "model-precision-differs",
                "warning",
                f"{raw.origin.key} ({dtype}) differs from the trainer precision ({trainer.value}): NeMo 1.0 "
                f"built the model in {dtype}; NeMo 2.0 has one precision, taken from {raw.origin.key}",
                raw.origin,
            )
        return Setting(dtype, raw.origin)

    def megatron_amp_o2(self, fsdp: Setting[bool]) -> Setting[bool]:
        typo = self.raw(self.model_key("megatron_amp_02")) or (
            self.raw("megatron_amp_02") if self.layout.model else None
        )
        if typo is not None:
            self.note(
                "megatron-amp-o2-typo",
                "warning",
                "megatron_amp_02 (digit zero) is not read by NeMo 1.0 training; megatron_amp_O2 (letter O) is",
                typo.origin,
            )
        setting = self.model("megatron_amp_O2", V.as_bool, None, "megatron_amp_O2 = False (code default)")
        if setting.value is None and self.layout.model:
            # Inference/eval configs keep it at the root and copy it into the restored model config.
            root = self.raw("megatron_amp_O2")
            if root is not None:
                setting = Setting(V.as_bool(root, self.path), root.origin)
        if setting.value is None:
            setting = Setting(False, setting.origin)
        if setting.value and fsdp.value:
            return Setting(
                False,
                Origin.derived_from("FSDP forces megatron_amp_O2 to False", fsdp.origin),
            )
        return setting

    # -- the whole spec ----------------------------------------------------------------------
    def build(self) -> PrecisionSpec:
        p = self.profile
        trainer = self.trainer_precision()
        compute = self.compute_dtype(trainer)
        fsdp = self.model("fsdp", V.as_bool, False, "fsdp = False (code default)")
        o2 = self.megatron_amp_o2(fsdp)
        half = compute.value in ("fp16", "bf16")

        if o2.value and not half:
            # Float16Module raises "Either config.fp16 or config.bf16 should be True" (section 1.3).
            raise self.fail(
                o2.origin,
                "megatron_amp_O2: True with precision 32: NeMo 1.0 refuses this "
                "(Float16Module needs fp16 or bf16)",
            )

        optim_name = self.read(self.model_key("optim.name"), _as_str, None, "no optimizer configured")
        distributed = optim_name.value in p.distributed_optimizers
        if optim_name.value == "mcore_distributed_optim" and not distributed:
            self.note(
                "needs-nemo1-in-2x",
                "warning",
                f"optim.name 'mcore_distributed_optim' exists only in the NeMo 1.0 code shipped inside NeMo 2.x; "
                f"these semantics are NeMo {p.name}: pass --nemo1-version 2.x",
                optim_name.origin,
            )
        # A root-level model_config.yaml (from a .nemo) records the original run, not this one.
        has_optim = bool(self.layout.model) and isinstance(self.config.section(self.model_key("optim")), dict)
        if compute.value == "fp16" and o2.value and not distributed and has_optim:
            # MegatronBaseModel.configure_optimizers raises for fp16 O2 without distributed Adam (1.3).
            raise self.fail(
                o2.origin,
                "precision 16 with megatron_amp_O2: True needs optim.name: distributed_fused_adam; "
                "NeMo 1.0 raises 'fp16 training is not yet supported with O2'",
            )

        amp_mode = self._amp_mode(compute, o2, fsdp)
        params = (
            Setting(
                compute.value,
                Origin.derived_from(f"O2 keeps the weights in {compute.value}", o2.origin),
            )
            if o2.value and half
            else Setting("fp32", Origin.default("parameters are fp32 unless megatron_amp_O2 with fp16/bf16"))
        )
        pipeline = Setting(
            compute.value,
            Origin.derived_from(f"pipeline_dtype follows the model dtype {compute.value}", compute.origin),
        )
        grad_reduce = self._grad_reduce(optim_name, distributed, o2, compute.value)
        loss = self._loss_scaling(trainer, fsdp)
        te = self.model("transformer_engine", V.as_bool, False, "transformer_engine = False (code default)")
        code_path = self._code_path()
        fp8 = self._fp8(code_path, te, fsdp)
        clip = self._clipping()
        lm_ce = self.model("fp16_lm_cross_entropy", V.as_bool, False, "fp16_lm_cross_entropy = False")
        chunk = None
        if self.config.has(self.model_key("grad_allreduce_chunk_size_mb")):
            chunk = self.model(
                "grad_allreduce_chunk_size_mb", lambda r, pth: V.as_int(r, pth, 1), 125, "125 MB"
            )
        self._nested_keys()
        for name in self.config.package_mounts():
            self.note(
                "hydra-package-mount",
                "info",
                f"references like ${{{name}.trainer.precision}} were resolved against this file, as the "
                f"NeMo-Framework-Launcher composes it under the package `{name}`",
            )

        return PrecisionSpec(
            source=self.path,
            nemo1_version=p.name,
            code_path=code_path,
            transformer_engine=te,
            trainer_precision=trainer,
            compute_dtype=compute,
            megatron_amp_o2=o2,
            optimizer=optim_name,
            amp_mode=amp_mode,
            params_dtype=params,
            pipeline_dtype=pipeline,
            grad_reduce_dtype=grad_reduce,
            loss_scaling=loss,
            fp8=fp8,
            gradient_clip_val=clip,
            fsdp=fsdp,
            fp16_lm_cross_entropy=lm_ce,
            grad_allreduce_chunk_size_mb=chunk,
            findings=tuple(self.findings),
        )

    def _clipping(self) -> Setting[float]:
        # MegatronBaseModel.configure_gradient_clipping: None or <= 0 returns without clipping; an
        # infinite threshold never clips either (clip coefficient inf/norm is never below 1).
        raw = self.raw("trainer.gradient_clip_val")
        if raw is None:
            return Setting(0.0, Origin.default("PyTorch Lightning gradient_clip_val = None: no clipping"))
        value = V.require_known(raw, self.path)
        if value is None:
            return Setting(0.0, Origin.derived_from("null: no clipping", raw.origin))
        clip = V.as_float(raw, self.path, finite=False)
        if math.isnan(clip):
            raise self.fail(raw.origin, "gradient_clip_val: .nan is not a clipping threshold")
        if math.isinf(clip) or clip <= 0:
            return Setting(0.0, Origin.derived_from(f"{value!r}: never clips", raw.origin))
        return Setting(clip, raw.origin)

    def _amp_mode(self, compute: Setting[str], o2: Setting[bool], fsdp: Setting[bool]) -> Setting[str]:
        if compute.value == "fp32":
            return Setting("fp32", Origin.derived_from("fp32 training", compute.origin))
        if o2.value:
            return Setting("O2", o2.origin)
        # ModelParallelConfig.enable_autocast = not O2 and half (section 1.3); FSDP forces O2 off.
        detail = (
            "FSDP forces megatron_amp_O2 to False"
            if fsdp.value
            else "megatron_amp_O2 False: fp32 weights + torch.autocast"
        )
        return Setting("O1", Origin.derived_from(detail, o2.origin))

    def _grad_reduce(
        self, optim: Setting[str | None], distributed: bool, o2: Setting[bool], compute: str
    ) -> Setting[str]:
        half = compute in ("fp16", "bf16")
        # Section 1.5: distributed Adam reduces in grad_sync_dtype (default: optim.dtype, fp32);
        # every other path reduces fp32 gradients (O1 fp32 params, O2 fp32 main grads).
        sync = self.raw(self.model_key("optim.grad_sync_dtype"))
        if optim.value == "mcore_distributed_optim":
            # v2.x tree: DDPConfig(grad_reduce_in_fp32=(optim.grad_sync_dtype or 'fp32') == 'fp32'), so any
            # other spelling, even 'float32', reduces in the parameter dtype.
            if sync is None:
                return Setting("fp32", Origin.default("mcore_distributed_optim grad_sync_dtype = 'fp32'"))
            value = V.require_known(sync, self.path)
            reduce = "fp32" if value == "fp32" or not half else compute
            return Setting(reduce, sync.origin)
        if distributed:
            if sync is not None:
                return Setting(V.as_dtype(sync, self.path), sync.origin)
            state = self.raw(self.model_key("optim.dtype"))
            if state is not None:
                return Setting(
                    V.as_dtype(state, self.path),
                    Origin.derived_from("grad_sync_dtype defaults to optim.dtype", state.origin),
                )
            return Setting(
                "fp32", Origin.default("distributed Adam grad_sync_dtype = optimizer dtype = fp32")
            )
        if sync is not None:
            self.note(
                "grad-sync-dtype-ignored",
                "info",
                "read only by distributed optimizers; with optim.name "
                f"{shown(optim.value)} NeMo 1.0 reduced gradients in fp32",
                sync.origin,
            )
        detail = (
            "fp32 main gradients (megatron_amp_O2)" if o2.value and half else "gradients of fp32 parameters"
        )
        return Setting("fp32", Origin.default(f"gradients reduced in fp32 ({detail})"))

    def _loss_scaling(self, trainer: Setting[str], fsdp: Setting[bool]) -> LossScaling:
        fp16 = trainer.value == "fp16"
        enabled = fp16 and (self.profile.fsdp_fp16_has_scaler or not fsdp.value)
        enabled_origin = (
            Origin.derived_from("NeMo GradScaler for precision 16", trainer.origin)
            if enabled
            else Origin.derived_from("no loss scaling: not fp16" if not fp16 else "no GradScaler with FSDP (NeMo 1.0 in 2.x)", trainer.origin)
        )
        # MegatronTrainerBuilder._grad_scaler passes cfg.get defaults 2**32 / 1000 / 2 (section 1.6);
        # MegatronBertTrainerBuilder does not pass hysteresis, so GradScaler's own default 1 applies.
        bert = self._is_bert()
        initial = (
            self.model(
                "native_amp_init_scale",
                lambda r, pth: V.as_float(r, pth, True),
                float(2**32),
                "native_amp_init_scale = 2**32",
            )
            if fp16
            else Setting(float(2**32), Origin.default("native_amp_init_scale = 2**32"))
        )
        window = (
            self.model(
                "native_amp_growth_interval",
                lambda r, pth: V.as_int(r, pth, 1),
                1000,
                "native_amp_growth_interval = 1000",
            )
            if fp16
            else Setting(1000, Origin.default("native_amp_growth_interval = 1000"))
        )
        if bert:
            hysteresis = Setting(
                1, Origin.default("MegatronBertTrainerBuilder does not pass hysteresis: GradScaler default 1")
            )
            written = self.config.get(self.model_key("hysteresis"))
            if written is not None and fp16:
                self.note(
                    "hysteresis-ignored-bert",
                    "info",
                    "not read by NeMo 1.0's BERT trainer builder (it uses hysteresis 1)",
                    written.origin,
                )
        elif fp16:
            hysteresis = self.model("hysteresis", lambda r, pth: V.as_int(r, pth, 1), 2, "hysteresis = 2")
        else:
            hysteresis = Setting(2, Origin.default("hysteresis = 2"))
        if not fp16:
            for name in ("native_amp_init_scale", "native_amp_growth_interval", "hysteresis"):
                raw = self.config.get(self.model_key(name))
                if raw is not None:
                    self.note(
                        "loss-scaling-key-unused",
                        "info",
                        "only matters for precision 16; no effect here",
                        raw.origin,
                    )
        return LossScaling(
            enabled=Setting(enabled, enabled_origin),
            initial_scale=initial,
            growth_interval=window,
            hysteresis=hysteresis,
            min_scale=Setting(None, Origin.default("NeMo GradScaler has no minimum loss scale")),
        )

    def _is_bert(self) -> bool:
        name = self.config.get("name")
        return bool(name and isinstance(name.value, str) and "bert" in name.value.lower())

    def _code_path(self) -> Setting[str]:
        for flag in ("mcore_gpt", "mcore_bert", "mcore_t5"):
            raw = self.raw(self.model_key(flag))
            if raw is not None and V.as_bool(raw, self.path):
                return Setting("mcore", raw.origin)
        raw = self.config.get(self.model_key("mcore_gpt"))
        if raw is not None:
            return Setting("legacy", raw.origin)
        return Setting("legacy", Origin.default("mcore_gpt = False (code default): legacy Megatron path"))

    # -- FP8 (section 2) ---------------------------------------------------------------------
    def _fp8(self, code_path: Setting[str], te: Setting[bool], fsdp: Setting[bool]) -> Fp8:
        p = self.profile
        mcore = code_path.value == "mcore"
        requested = self.model("fp8", V.as_bool, False, "fp8 = False (code default)")
        e4m3 = self.model("fp8_e4m3", V.as_bool, False, "fp8_e4m3 = False") if requested.value else None
        hybrid = self.model("fp8_hybrid", V.as_bool, False, "fp8_hybrid = False") if requested.value else None

        fmt: Setting[str | None] = Setting(None, Origin.default("FP8 off"))
        if requested.value:
            if fsdp.value:
                raise self.fail(
                    fsdp.origin,
                    "fsdp: True with fp8: True: NeMo 1.0 raises 'Torch FSDP does not support FP8.'",
                )
            if e4m3.value:  # checked first in both paths: E4M3 wins silently (section 2.2)
                fmt = Setting("e4m3", e4m3.origin)
                if hybrid.value:
                    self.note(
                        "fp8-both-formats",
                        "warning",
                        "fp8_e4m3 and fp8_hybrid are both True: NeMo 1.0 used E4M3 (checked first)",
                        hybrid.origin,
                    )
            elif hybrid.value:
                fmt = Setting("hybrid", hybrid.origin)
            else:
                raise self.fail(
                    requested.origin,
                    "fp8: True but neither fp8_e4m3 nor fp8_hybrid is True: NeMo 1.0 raises "
                    "'fp8 enabled but fp8_format (fp8_e4m3 | fp8_hybrid) is not set.'",
                )

        # Are TE layers built? (section 2.1 `transformer_engine` row, 2.2)
        if not mcore:
            te_layers, why = te.value, "legacy path uses TE layers only with transformer_engine: True"
        elif p.mcore_honours_transformer_engine:
            te_layers, why = (
                te.value,
                "mcore path builds the local (non-TE) spec when transformer_engine is False",
            )
        else:
            te_layers, why = True, "mcore path always builds the TE spec on NeMo 1.23"
        active_value = bool(requested.value and te_layers)
        if requested.value and not te_layers:
            self.note(
                "fp8-without-te",
                "warning",
                f"fp8: True has no effect: {why}; the legacy run trained without FP8, so the migration leaves FP8 off "
                "(NeMo 2.0 always builds TE layers and would run FP8 if asked)",
                te.origin,
            )
        active = Setting(
            active_value,
            requested.origin
            if active_value
            else Origin.derived_from(
                why if requested.value else "fp8 off", te.origin if requested.value else requested.origin
            ),
        )

        def fp8_key(
            name: str, convert: Callable[[RawValue, str], Any], default: Any, detail: str
        ) -> Setting[Any]:
            if not active_value:
                return Setting(default, Origin.default(detail))
            return self.model(name, convert, default, detail)

        def ignored(name: str, why_ignored: str, effective: Any, detail: str) -> Setting[Any]:
            raw = self.config.get(self.model_key(name))
            if raw is not None and active_value and raw.value != effective:
                self.note(
                    f"{name.replace('_', '-')}-ignored",
                    "warning" if name == "reduce_amax" else "info",
                    f"not read here: {why_ignored}",
                    raw.origin,
                )
            return Setting(effective, Origin.default(detail))

        as_margin = lambda r, pth: V.as_int(r, pth, 0)  # noqa: E731
        as_history = lambda r, pth: V.as_int(r, pth, 1)  # noqa: E731
        as_algo = lambda r, pth: V.as_choice(r, pth, AMAX_ALGOS)  # noqa: E731
        if mcore:
            # Megatron-core TransformerConfig defaults apply to absent keys (section 2.1).
            history = fp8_key(
                "fp8_amax_history_len",
                as_history,
                1,
                "mcore path: Megatron-core default fp8_amax_history_len = 1",
            )
            algo = fp8_key(
                "fp8_amax_compute_algo",
                as_algo,
                "most_recent",
                "mcore path: Megatron-core default fp8_amax_compute_algo = 'most_recent'",
            )
            reduce_amax = ignored(
                "reduce_amax",
                "the mcore path never passes reduce_amax (TE default True)",
                True,
                "mcore path: TE default reduce_amax = True",
            )
            wgrad = fp8_key("fp8_wgrad", V.as_bool, True, "fp8_wgrad = True (Megatron-core default)")
            if p.mcore_has_fp8_attention_fields:
                dpa = fp8_key(
                    "fp8_dot_product_attention", V.as_bool, False, "fp8_dot_product_attention = False"
                )
                mha = fp8_key(
                    "fp8_multi_head_attention", V.as_bool, False, "fp8_multi_head_attention = False"
                )
            else:
                dpa = ignored(
                    "fp8_dot_product_attention",
                    "Megatron-core 0.5 (NeMo 1.23) has no such field",
                    False,
                    "not in Megatron-core 0.5",
                )
                mha = ignored(
                    "fp8_multi_head_attention",
                    "Megatron-core 0.5 (NeMo 1.23) has no such field",
                    False,
                    "not in Megatron-core 0.5",
                )
        else:
            new = p.legacy_fp8_history_1024_max
            history = fp8_key(
                "fp8_amax_history_len",
                as_history,
                1024 if new else 1,
                f"legacy path code default fp8_amax_history_len = {1024 if new else 1} (NeMo {p.name})",
            )
            algo = fp8_key(
                "fp8_amax_compute_algo",
                as_algo,
                "max" if new else "most_recent",
                f"legacy path code default fp8_amax_compute_algo = {'max' if new else 'most_recent'!r} (NeMo {p.name})",
            )
            reduce_amax = fp8_key("reduce_amax", V.as_bool, True, "reduce_amax = True (code default)")
            wgrad = ignored(
                "fp8_wgrad",
                "the legacy path runs the wgrad GEMM in FP8 regardless",
                True,
                "legacy path: wgrad GEMM in FP8",
            )
            dpa = ignored(
                "fp8_dot_product_attention",
                "only the mcore path reads it",
                False,
                "legacy path: no FP8 attention",
            )
            mha = ignored(
                "fp8_multi_head_attention",
                "only the mcore path reads it",
                False,
                "legacy path: no FP8 attention",
            )
        margin = fp8_key("fp8_margin", as_margin, 0, "fp8_margin = 0")
        interval = fp8_key("fp8_interval", as_history, 1, "fp8_interval = 1")
        if interval.value != 1:
            self.note(
                "fp8-interval-dropped",
                "info",
                "fp8_interval is ignored by Transformer Engine >= 1.8 and has no NeMo 2.0 argument; dropped",
                interval.origin,
            )
        params = self._fp8_params(active_value)
        recipe, first_last, start, end = self._fp8_recipe(mcore, active_value)
        if active_value and not reduce_amax.value:
            self.note(
                "reduce-amax-false",
                "warning",
                "reduce_amax: False cannot be expressed in NeMo 2.0, which always all-reduces the amax across the "
                "amax-reduction group: in multi-GPU runs the migrated FP8 scaling factors differ from the legacy per-rank ones",
                reduce_amax.origin,
            )
        tp_only = self.config.get(self.model_key("tp_only_amax_red"))
        if (
            active_value
            and mcore
            and p.mcore_has_recipe_fields
            and tp_only is not None
            and V.as_bool(tp_only, self.path)
        ):
            self.note(
                "tp-only-amax-red",
                "warning",
                "tp_only_amax_red: True is a model setting in NeMo 2.0, not a plugin argument: set GPTConfig(tp_only_amax_red=True)",
                tp_only.origin,
            )
        return Fp8(
            requested=requested,
            active=active,
            format=fmt,
            recipe=recipe,
            margin=margin,
            amax_history_len=history,
            amax_compute_algo=algo,
            reduce_amax=reduce_amax,
            wgrad=wgrad,
            dot_product_attention=dpa,
            multi_head_attention=mha,
            params=params,
            interval=interval,
            first_last_layers_bf16=first_last,
            num_layers_at_start_in_bf16=start,
            num_layers_at_end_in_bf16=end,
        )

    def _fp8_params(self, active: bool) -> Setting[bool]:
        # GPT __init__: fp8_model_init only when `fp8 and fp8_params` (section 2.1, 2.2).
        names = ["fp8_params"] + (["fp8_param"] if self.profile.mcore_has_recipe_fields else [])
        for name in names:
            raw = self.config.get(self.model_key(name))
            if raw is None:
                continue
            value = (
                V.as_bool(self.raw(self.model_key(name)), self.path)
                if active
                else bool(raw.known and raw.value is True)
            )
            if value and not active:
                self.note(
                    "fp8-params-without-fp8",
                    "info",
                    "True has no effect on the weights while FP8 is off",
                    raw.origin,
                )
                return Setting(False, raw.origin)
            if value:
                return Setting(True, raw.origin)
        return Setting(False, Origin.default("fp8_params = False"))

    def _fp8_recipe(
        self, mcore: bool, active: bool
    ) -> tuple[Setting[str], Setting[bool], Setting[int], Setting[int]]:
        readable = mcore and self.profile.mcore_has_recipe_fields and active
        if not readable:
            for name in ("fp8_recipe", "first_last_layers_bf16", "fp8_param", "tp_only_amax_red"):
                raw = self.config.get(self.model_key(name))
                if raw is not None and active:
                    # A key this release never reads suggests the config ran on a newer container.
                    self.note(
                        f"{name.replace('_', '-')}-ignored",
                        "info" if self.profile.mcore_has_recipe_fields else "warning",
                        "read only by the mcore path of the NeMo 1.0 code inside NeMo 2.x; ignored under "
                        f"NeMo {self.profile.name} semantics (pass --nemo1-version 2.x if the job ran there)",
                        raw.origin,
                    )
            delayed = Setting(
                "delayed", Origin.default("NeMo 1.x FP8 is delayed scaling (DelayedScaling recipe)")
            )
            return (
                delayed,
                Setting(False, Origin.default("first_last_layers_bf16 = False")),
                Setting(1, Origin.default("Megatron-core default 1")),
                Setting(1, Origin.default("Megatron-core default 1")),
            )
        recipe = self.model(
            "fp8_recipe",
            lambda r, pth: V.as_choice(r, pth, FP8_RECIPES),
            "delayed",
            "Megatron-core default fp8_recipe = 'delayed'",
        )
        first_last = self.model(
            "first_last_layers_bf16", V.as_bool, False, "first_last_layers_bf16 = False (Megatron-core)"
        )
        if first_last.value and recipe.value == "delayed":
            raise self.fail(
                first_last.origin,
                "first_last_layers_bf16 with fp8_recipe 'delayed': Megatron-core rejects this combination",
            )
        start = self.model(
            "num_layers_at_start_in_bf16",
            lambda r, pth: V.as_int(r, pth, 0),
            1,
            "Megatron-core default num_layers_at_start_in_bf16 = 1",
        )
        end = self.model(
            "num_layers_at_end_in_bf16",
            lambda r, pth: V.as_int(r, pth, 0),
            1,
            "Megatron-core default num_layers_at_end_in_bf16 = 1",
        )
        return recipe, first_last, start, end

    def _nested_keys(self) -> None:
        """Precision keys below sub-sections of the model (e.g. model.text.fp8) are not read."""
        if not self.layout.model:
            return
        model = self.config.section(self.layout.model)
        if not isinstance(model, dict):
            return
        for name, child in model.items():
            if name in ("optim",) or not isinstance(child, dict):
                continue
            for dotted in _precision_keys_below(child, f"{self.layout.model}.{name}"):
                raw = self.config.get(dotted)
                self.note(
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


def _as_str(raw: RawValue, path: str) -> str | None:
    value = V.require_known(raw, path)
    return None if value is None else str(value)


def build_spec(config: LegacyConfig, layout: Layout, profile: Nemo1Profile) -> PrecisionSpec:
    """The effective NeMo 1.0 precision behaviour of `config`; InputError where NeMo 1.0 would refuse it."""
    return _Builder(config, layout, profile).build()


__all__ = ["build_spec", "FP8_RECIPES", "AMAX_ALGOS", "Unknown"]
