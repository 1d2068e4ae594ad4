"""fp16 loss-scaling facts of NeMo 1.0: which trainer builder ran the job, and the GradScaler it built."""

from __future__ import annotations

import pytest
from facts import codes, reader

from migrate.errors import InputError
from migrate.legacy import precision as P
from migrate.legacy import scaler as S

FP16 = {"trainer.precision": 16}


@pytest.mark.parametrize(
    ("keys", "release", "builder", "expected"),
    [
        pytest.param({**FP16, "model.fp8": False}, "1.23", None, "gpt", id="default: MegatronTrainerBuilder"),
        pytest.param({**FP16, "model.mcore_bert": True}, "1.23", None, "bert", id="mcore_bert key: BERT builder"),
        pytest.param({**FP16, "model.bert_binary_head": True}, "1.23", None, "bert", id="bert_binary_head key: BERT builder"),
        pytest.param({"name": "megatron_bert", **FP16}, "1.23", None, "bert", id="job name says BERT"),
        # megatron_retro_config.yaml carries bert_binary_head, but megatron_retro_pretraining.py@v1.23.0 builds
        # GradScaler(init 2**32, growth 1000, hysteresis 2) itself, like MegatronTrainerBuilder
        pytest.param({"name": "test_retro", **FP16, "model.bert_binary_head": True}, "1.23", None, "gpt",
                     id="RETRO: its own script, scaler as GPT's"),
        pytest.param({"name": "megatron_t5", **FP16}, "1.23", None, "t5", id="job name says T5"),
        pytest.param({**FP16, "model.peft.peft_scheme": "lora"}, "1.23", None, "lmpp", id="model.peft: PEFT script, LMPP"),
        pytest.param({**FP16, "model.peft.peft_scheme": "lora"}, "1.18", None, "gpt", id="no PEFT script PP switch before 1.19"),
        pytest.param({**FP16, "model.restore_from_path": "x.nemo", "model.data.train_ds.file_names": ["a"]}, "1.23", None, "lmpp",
                     id="1.23 SFT (megatron_gpt_finetuning.py) uses LMPP"),
        pytest.param({**FP16, "model.restore_from_path": "x.nemo", "model.data.train_ds.file_names": ["a"]}, "1.22", None, "gpt",
                     id="1.18-1.22 SFT (megatron_gpt_sft.py) builds its own scaler, never disabled"),
        pytest.param({**FP16, "model.peft.peft_scheme": "lora"}, "1.23", "gpt", "gpt", id="--trainer-builder wins"),
    ],
)
def test_trainer_builder(keys, release, builder, expected) -> None:
    assert S.trainer_builder(reader(keys, release, builder)).value == expected


@pytest.mark.parametrize(
    ("release", "says"),
    [
        pytest.param("1.20", "has no trainer builders", id="1.5-1.20: the pretraining script builds its own GradScaler"),
        pytest.param("1.21", "MegatronTrainerBuilder", id="1.21+: MegatronTrainerBuilder (megatron_trainer_builder.py first in v1.21.0)"),
    ],
)
def test_default_builder_names_what_built_the_scaler(release, says) -> None:
    builder = S.trainer_builder(reader({**FP16, "model.fp8": False}, release))
    assert builder.value == "gpt"
    assert says in builder.origin.detail


def _loss(keys, release="1.23", builder=None):
    r = reader(keys, release, builder)
    trainer = P.trainer_precision(r)
    return S.loss_scaling(r, trainer, P.fsdp(r), S.trainer_builder(r), P.compute_dtype(r, trainer)), r


@pytest.mark.parametrize(
    ("keys", "release", "builder", "enabled"),
    [
        pytest.param(FP16, "1.23", None, True, id="fp16 builds NeMo's GradScaler"),
        pytest.param({"trainer.precision": "bf16"}, "1.23", None, False, id="bf16: no loss scaling"),
        pytest.param({**FP16, "model.peft.peft_scheme": "lora", "model.pipeline_model_parallel_size": 2}, "1.23", None, False,
                     id="LMPP builder disables the scaler with PP > 1"),
        pytest.param({**FP16, "model.peft.peft_scheme": "lora", "model.pipeline_model_parallel_size": 1}, "1.23", None, True,
                     id="LMPP builder with PP 1 keeps it"),
        pytest.param({**FP16, "model.pipeline_model_parallel_size": 4}, "1.23", None, True, id="GPT builder never disables it"),
        pytest.param({**FP16, "model.fsdp": True}, "2.x", None, False, id="2.x tree: no GradScaler with FSDP"),
        pytest.param({**FP16, "model.fsdp": True}, "1.23", None, True, id="1.23: FSDP keeps the scaler"),
    ],
)
def test_scaler_enabled(keys, release, builder, enabled) -> None:
    assert _loss(keys, release, builder)[0].enabled.value is enabled


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param(FP16, "1.23", (float(2**32), 1000, 2), id="MegatronTrainerBuilder defaults 2**32 / 1000 / 2"),
        pytest.param({**FP16, "model.native_amp_init_scale": 65536, "model.native_amp_growth_interval": 500, "model.hysteresis": 4},
                     "1.23", (65536.0, 500, 4), id="native_amp_* and hysteresis as written"),
        pytest.param({"name": "megatron_bert", **FP16, "model.hysteresis": 4}, "1.23", (float(2**32), 1000, 1),
                     id="BERT builder passes no hysteresis: GradScaler default 1"),
        pytest.param({**FP16, "model.hysteresis": 4}, "1.5", (float(2**32), 1000, 1), id="1.5 GradScaler has no hysteresis"),
        pytest.param({"trainer.precision": "16"}, "1.20", (float(2**16), 2000, 1),
                     id="1.6-1.20: '16' is not 16: Lightning's AMP plugin with torch's default scaler"),
        pytest.param({"trainer.precision": "16"}, "1.21", (float(2**32), 1000, 2), id="1.21+ builder accepts '16'"),
    ],
)
def test_scaler_settings(keys, release, expected) -> None:
    loss, _ = _loss(keys, release)
    assert (loss.initial_scale.value, loss.growth_interval.value, loss.hysteresis.value) == expected
    assert loss.min_scale.value is None  # NeMo's GradScaler has no floor


@pytest.mark.parametrize(
    ("key", "value", "accepted"),
    [
        pytest.param("native_amp_init_scale", 1, True, id="init_scale 1: a valid GradScaler scale"),
        pytest.param("native_amp_init_scale", 0, False, id="init_scale 0: Megatron's MegatronGradScaler asserts initial_scale > 0"),
        pytest.param("native_amp_growth_interval", 1, True, id="growth_interval 1: grow after every clean step"),
        pytest.param("native_amp_growth_interval", 0, False, id="growth_interval 0: Megatron's DynamicGradScaler asserts growth_interval > 0"),
        pytest.param("hysteresis", 1, True, id="hysteresis 1: back off on the first overflow"),
        pytest.param("hysteresis", 0, False, id="hysteresis 0: Megatron's DynamicGradScaler asserts hysteresis > 0"),
    ],
)
def test_gradscaler_arguments_the_targets_accept(key, value, accepted) -> None:
    keys = {**FP16, f"model.{key}": value}
    if accepted:
        loss, _ = _loss(keys)
        assert value in (loss.initial_scale.value, loss.growth_interval.value, loss.hysteresis.value)
    else:
        with pytest.raises(InputError, match=r"must be >"):
            _loss(keys)


@pytest.mark.parametrize(
    ("keys", "release", "code", "noted"),
    [
        pytest.param({"name": "megatron_bert", **FP16, "model.hysteresis": 4}, "1.23", "hysteresis-ignored-bert", True,
                     id="MegatronBertTrainerBuilder._grad_scaler passes no hysteresis: the key is not read"),
        pytest.param({"name": "megatron_bert", **FP16}, "1.23", "hysteresis-ignored-bert", False, id="BERT without the key: nothing ignored"),
        pytest.param({"name": "megatron_bert", "trainer.precision": "bf16", "model.hysteresis": 4}, "1.23", "hysteresis-ignored-bert",
                     False, id="BERT in bf16: no GradScaler at all (reported as unused instead)"),
        pytest.param({**FP16, "model.hysteresis": 4}, "1.5", "hysteresis-ignored", True,
                     id="v1.5.0 GradScaler.__init__ has no hysteresis argument"),
        pytest.param(FP16, "1.5", "hysteresis-ignored", False, id="1.5 without the key: nothing ignored"),
        pytest.param({"trainer.precision": "bf16", "model.hysteresis": 4}, "1.5", "hysteresis-ignored", False,
                     id="1.5 in bf16: no GradScaler at all"),
    ],
)
def test_hysteresis_not_read(keys, release, code, noted) -> None:
    _, r = _loss(keys, release)
    assert (code in codes(r)) is noted


def test_loss_scaling_keys_outside_fp16_are_reported() -> None:
    _, r = _loss({"trainer.precision": "bf16", "model.hysteresis": 2})
    assert "loss-scaling-key-unused" in codes(r)


def test_lmpp_without_a_pipeline_size_keeps_the_scaler() -> None:
    loss, _ = _loss({**FP16, "model.peft.peft_scheme": "lora"})
    assert loss.enabled.value is True


@pytest.mark.parametrize(
    ("keys", "release", "expected"),
    [
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.optim.name": "fused_adam"}, "1.23",
                     "MegatronHalfPrecisionPlugin", id="O2 without distributed Adam"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.optim.name": "distributed_fused_adam"},
                     "1.23", "PipelineMixedPrecisionPlugin", id="O2 with distributed Adam"),
        pytest.param({"trainer.precision": 16, "model.megatron_amp_O2": False}, "1.23", "PipelineMixedPrecisionPlugin", id="O1"),
        # megatron_trainer_builder.py@v1.23.0 _plugins(): FSDP gets no plugin of its own (O2 was forced off)
        pytest.param({"trainer.precision": 16, "model.fsdp": True}, "1.23", "PipelineMixedPrecisionPlugin", id="FSDP 1.23"),
        pytest.param({"trainer.precision": 16, "model.fsdp": True, "model.megatron_amp_O2": True}, "1.23",
                     "PipelineMixedPrecisionPlugin", id="FSDP 1.23 with O2 asked"),
        pytest.param({"trainer.precision": 16, "model.fsdp": True}, "2.x", "FSDPMixedPrecisionPlugin", id="FSDP 2.x tree"),
        pytest.param({"trainer.precision": 32, "model.fp8": False}, "1.23", "none", id="fp32: no plugin"),
        pytest.param({"trainer.precision": 16, "model.fp8": False}, "1.6", "NativeMixedPrecisionPlugin", id="1.5-1.6 O1: Lightning's AMP"),
        pytest.param({"trainer.precision": 16, "model.fp8": False}, "1.7", "PipelineMixedPrecisionPlugin",
                     id="1.7+ O1: NeMo's PipelineMixedPrecisionPlugin (v1.7.0 megatron_gpt_pretraining.py)"),
        pytest.param({"trainer.precision": "16", "model.fp8": False}, "1.20", "Lightning's own AMP plugin", id="1.6-1.20 '16' string"),
    ],
)
def test_precision_plugin(keys, release, expected) -> None:
    from migrate.legacy import optimizer as O

    r = reader(keys, release)
    trainer = P.trainer_precision(r)
    fsdp = P.fsdp(r)
    o2 = P.megatron_amp_o2(r, fsdp)
    assert S.precision_plugin(r, trainer, o2, fsdp, O.is_distributed(r, O.optimizer_name(r))).value == expected


@pytest.mark.parametrize(
    ("keys", "release", "applied"),
    [
        pytest.param({**FP16, "model.precision": "bf16"}, "1.21", False, id="1.21: bf16 model, scaler not handed over"),
        pytest.param({**FP16, "model.precision": "bf16"}, "1.22", False, id="1.22: same rule"),
        pytest.param({**FP16, "model.precision": "bf16"}, "1.23", True, id="1.23: trainer.precision decides"),
        pytest.param(FP16, "1.21", True, id="1.21: fp16 model"),
        pytest.param({"trainer.precision": "bf16"}, "1.21", False, id="no scaler at all"),
    ],
)
def test_loss_scale_reaches_megatron_per_release(keys, release, applied) -> None:
    """megatron_base_model.py build_model_parallel_config: grad_scale_func is the scaler's scale
    `if self.torch_dtype == torch.float16` (v1.21.0, v1.22.0), `if self.trainer.precision in ["16", "16-mixed"]` (v1.23.0)."""
    loss, _ = _loss(keys, release)
    assert loss.applied.value is applied
