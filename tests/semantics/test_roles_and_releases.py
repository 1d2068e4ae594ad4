"""Which files are training runs (config roles), which NeMo 1.x release names are accepted, and the
release boundaries of the rules. Each row names the evidence or source line it pins."""

from __future__ import annotations

import pytest
from facts import config

from migrate.legacy.layout import Skip
from migrate.legacy.roles import detect_runs
from migrate.legacy.versions import nemo1_profile, resolve_version

TRAIN = {"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.optim.name": "fused_adam"}


@pytest.mark.parametrize(
    ("keys", "role"),
    [
        pytest.param(TRAIN, "training", id="trainer + model + model.optim"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True}, "training", id="no optimizer: still a training run"),
        pytest.param({"precision": 16, "megatron_amp_O2": True, "optim.name": "fused_adam"}, "model-only",
                     id=".nemo model_config.yaml: model keys at the root"),
        pytest.param({"trainer.precision": "bf16", "model.fp8": True, "optim.use_distributed_optimizer": True, "ddp.fp8_param_gather": True},
                     "not-nemo1", id="top-level optim/ddp with Megatron-core names: NeMo 2 runner"),
        pytest.param({"trainer.precision": "bf16", "model.precision": "bfloat16", "export.dtype": "bf16"}, "export",
                     id="export: section, no optimizer: export dtype"),
        pytest.param({"trainer.precision": "bf16", "quantization.algorithm": "fp8", "export.dtype": 16}, "ptq",
                     id="quantization + export without an optimizer: PTQ"),
        pytest.param({**TRAIN, "quantization.algorithm": "fp8", "export.dtype": 16}, "training", id="QAT has an optimizer: training"),
        pytest.param({"trainer.precision": 16, "gpt_model_file": "x.nemo", "inference.greedy": True}, "inference",
                     id="inference: section and a model file, no optimizer"),
        pytest.param({**TRAIN, "name": "megatron_t5_speechllm_tts_inference"}, "inference", id="job name says inference"),
        pytest.param({**TRAIN, "inference.greedy": True}, "training", id="SFT configs carry an inference section: still training"),
        pytest.param({"trainer.precision": 32, "model.megatron_amp_O2": True, "run.huggingface_ckpt_path": "/hf"}, "conversion",
                     id="launcher conversion_hf2nemo: converter --precision decides"),
        pytest.param({"trainer.precision": "bf16", "indexing.chunk_size": 256}, "data-preparation", id="RAG indexing"),
        pytest.param({"trainer.precision": "bf16", "model._target_": "nemo.lightning.MegatronMixedPrecision"}, "nemo2",
                     id="already NeMo 2.0"),
        pytest.param({"devices": 8, "qkv_dgrad.method": "bulk"}, "not-precision", id="no precision keys"),
    ],
)
def test_roles(keys, role) -> None:
    runs = detect_runs(config(keys))
    found = runs.role if isinstance(runs, Skip) else runs[0].role
    assert found == role


def test_a_file_with_several_runs_yields_one_run_each() -> None:
    keys = {
        "actor.trainer.precision": "bf16",
        "actor.model.megatron_amp_O2": True,
        "critic.trainer.precision": 16,
        "critic.model.megatron_amp_O2": False,
    }
    runs = detect_runs(config(keys))
    assert [(run.run, run.model, run.trainer_key("precision")) for run in runs] == [
        ("actor", "actor.model", "actor.trainer.precision"),
        ("critic", "critic.model", "critic.trainer.precision"),
    ]


@pytest.mark.parametrize(
    ("given", "release"),
    [
        pytest.param("1.23", "1.23", id="a 1.x release"),
        pytest.param("1.5", "1.5", id="first Megatron GPT release"),
        pytest.param("2.4", "2.x", id="2.0-2.7 mean the NeMo 1.0 code inside 2.x"),
        pytest.param("23.10", "1.22", id="container nemo:23.10 ships r1.22.0 (README)"),
        pytest.param("23.08", "1.21", id="container nemo:23.08 ships r1.21.0"),
        pytest.param("24.09", "2.x", id="container nemo:24.09 ships NeMo 2.0.0"),
    ],
)
def test_release_names(given, release) -> None:
    assert resolve_version(given)[0] == release


@pytest.mark.parametrize(
    ("given", "named"),
    [
        pytest.param("2.x", "", id="2.x names the rule set itself"),
        pytest.param("2.4", "NeMo 2.4", id="a 2.x release is named in the output"),
        pytest.param("2.7", "NeMo 2.7", id="2.7: the last release with the NeMo 1.0 code"),
        pytest.param("23.10", "container 23.10", id="a container tag is named in the output"),
        pytest.param("1.23", "", id="a 1.x release is its own rule set"),
    ],
)
def test_how_a_release_was_named(given, named) -> None:
    assert resolve_version(given)[1] == named


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param("1.4", "no Megatron GPT training", id="before 1.5: nothing to migrate"),
        pytest.param("24.12", "not confirmed from a source", id="a container tag without a source"),
        pytest.param("1.24", "unknown NeMo 1.x version", id="no such release"),
        pytest.param("22.11", "not confirmed from a source", id="22.11 has a container tag's shape but no source for its release"),
        pytest.param("latest", "unknown NeMo 1.x version", id="junk"),
    ],
)
def test_refused_release_names(given, message) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_version(given)


@pytest.mark.parametrize(
    ("rule", "first", "last"),
    [
        pytest.param("reads_megatron_amp_o2", "1.6", None, id="O2 from 1.6"),
        pytest.param("refuses_fp16_o2", "1.8", None, id="fp16 O2 refused from 1.8"),
        pytest.param("has_fp8", "1.13", None, id="FP8 from 1.13"),
        pytest.param("reads_reduce_amax", "1.15", None, id="reduce_amax from 1.15"),
        pytest.param("model_precision_wins", "1.21", None, id="model.precision wins from 1.21"),
        pytest.param("lightning2_spellings", "1.21", None, id="Lightning 2.0 from 1.21"),
        pytest.param("legacy_fp8_history_1024_max", "1.22", None, id="FP8 defaults 1024/max from 1.22"),
        pytest.param("reads_fp8_params", "1.23", None, id="fp8_params from 1.23"),
        pytest.param("has_fsdp", "1.23", None, id="FSDP from 1.23"),
        pytest.param("fp32_embedding_grads", "1.17", None, id="fp32 embedding grads from 1.17"),
        pytest.param("peft_disables_scaler_with_pp", "1.19", None, id="PEFT PP>1 scaler off from 1.19"),
        pytest.param("sft_script_disables_scaler_with_pp", "1.23", None, id="SFT via LMPP from 1.23"),
        pytest.param("hysteresis_read", "1.6", None, id="hysteresis from 1.6"),
        pytest.param("autocast_under_o2", "1.7", "1.17", id="autocast under O2 in 1.7-1.17"),
        pytest.param("distributed_adam_state_forced_fp32", "1.17", "1.22", id="dist-Adam fp32 state forced in 1.17-1.22"),
    ],
)
def test_release_boundaries(rule, first, last) -> None:
    first_minor = int(first.split(".")[1])
    last_minor = int(last.split(".")[1]) if last else 23
    for minor in range(5, 24):
        expected = first_minor <= minor <= last_minor
        assert getattr(nemo1_profile(f"1.{minor}"), rule) is expected, f"1.{minor}"


@pytest.mark.parametrize(
    ("path", "keys", "release"),
    [
        pytest.param("NeMo/v1.10.0/examples/conf/megatron_gpt_config.yaml", {}, "1.10", id="a NeMo tag in the path"),
        pytest.param("NeMo-Framework-Launcher/24.12/conf/gpt3/5b.yaml", {}, "2.x", id="launcher 24.07+ runs a 2.x container"),
        pytest.param("NeMo-Framework-Launcher/23.03/conf/gpt3/5b.yaml", {}, None, id="launcher 23.03: container release unknown"),
        pytest.param("results/eos_ngc24.09_nemo/conf/x.yaml", {}, "2.x", id="an NGC container tag in the path"),
        pytest.param("NeMo-Aligner/v0.7.0/conf/dpo.yaml", {}, "2.x", id="Aligner 0.3+ builds on NeMo 2.x"),
        pytest.param("conf/x.yaml", {"model.fp8_recipe": "delayed"}, "2.x", id="a key only the 2.x tree reads"),
        pytest.param("conf/x.yaml", {"model.fp8": True}, None, id="nothing gives the release away"),
    ],
)
def test_release_hints(path, keys, release) -> None:
    from facts import reader

    from migrate.legacy import hints

    r = reader({"trainer.precision": "bf16", **keys})
    hint = hints.from_path(path) or hints.from_keys(r.config, r.layout)
    assert (hint.release if hint else None) == release


@pytest.mark.parametrize(
    ("keys", "role"),
    [
        pytest.param({"trainer.precision": "bf16", "model.fp8": True, "ddp.overlap_grad_reduce": True}, "not-nemo1", id="ddp: section alone"),
        pytest.param({"precision": 16, "megatron_amp_O2": True, "optim.name": "distributed_fused_adam", "optim.lr": 1e-4},
                     "model-only", id="a model_config.yaml's root optim with a name is NeMo 1"),
        pytest.param({"trainer.precision": "bf16", "model.precision": 16, "trt.precision": 16}, "export", id="trt: section"),
        pytest.param({"trainer.precision": 16, "checkpoint_dir": "/c", "model_type": "gpt", "hparams_file": "h"}, "conversion",
                     id="checkpoint_dir + model_type: a converter template"),
        pytest.param({"run.name": "gpt", "trainer.precision": "bf16", "model.megatron_amp_O2": True}, "training",
                     id="one section with a run's shape is no multi-run file"),
        pytest.param({"trainer.precision": "bf16", "trainer.strategy._target_": "nemo.lightning.MegatronStrategy"}, "nemo2",
                     id="any nemo.lightning _target_ is NeMo 2.0"),
        pytest.param({"trainer.precision": 16, "model.precision": 16, "model.optim.name": "fused_adam",
                      "model.unet_config._target_": "nemo.collections.multimodal.modules.stable_diffusion.diffusionmodules."
                      "openaimodel.UNetModel"}, "training",
                     id="NeMo 1.0 Stable Diffusion configs name their modules with _target_: still NeMo 1.0"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.data.test_ds.file_names": ["t"]},
                     "inference", id="model.data.test_ds without train_ds or optimizer: an evaluation run"),
        pytest.param({"trainer.precision": "bf16", "model.megatron_amp_O2": True, "model.data.test_ds.file_names": ["t"],
                      "model.data.train_ds.file_names": ["a"]}, "training", id="train_ds beside test_ds: a training run"),
    ],
)
def test_more_roles(keys, role) -> None:
    runs = detect_runs(config(keys))
    assert (runs.role if isinstance(runs, Skip) else runs[0].role) == role


@pytest.mark.parametrize(
    ("keys", "role", "has_trainer"),
    [
        pytest.param({"trainer.precision": "bf16", "model.optim.name": "fused_adam"}, "training", True,
                     id="trainer.precision alone makes a training run (the model section need not hold precision keys)"),
        pytest.param({"trainer.precision": 16, "trainer.devices": 8}, "training", True, id="trainer.precision and no model section"),
        pytest.param({"model.precision": 16, "model.megatron_amp_O2": True}, "training", False,
                     id="model section without a trainer (given by another file): trainer precision unknown here"),
        pytest.param({"precision": 16, "megatron_amp_O2": True}, "model-only", False, id="root model keys: a .nemo model_config.yaml"),
    ],
)
def test_what_a_run_has(keys, role, has_trainer) -> None:
    [run] = detect_runs(config(keys))
    assert (run.role, run.has_trainer) == (role, has_trainer)


def test_a_run_shaped_section_beside_a_root_run_is_not_a_second_run() -> None:
    """NeMo's scripts read cfg.trainer and cfg.model: with a root run, one nested section of the same shape is
    not what they train (several such sections are the launcher's multi-run files)."""
    keys = {"trainer.precision": "bf16", "model.megatron_amp_O2": True, "teacher.trainer.precision": 16,
            "teacher.model.megatron_amp_O2": False}
    [run] = detect_runs(config(keys))
    assert (run.run, run.model, run.trainer_key("precision")) == (None, "model", "trainer.precision")


@pytest.mark.parametrize(
    ("release", "written", "expected"),
    [
        pytest.param("1.5", 16, True, id="1.5: == 16"),
        pytest.param("1.5", "bf16", False, id="1.5: bf16 gets Lightning's plugin"),
        pytest.param("1.20", "bf16", True, id="1.6-1.20: in [16, 'bf16']"),
        pytest.param("1.20", "16", False, id="1.6-1.20: the string '16' is not 16"),
        pytest.param("1.21", "16", True, id="1.21+: the builder's full list"),
    ],
)
def test_which_spellings_get_nemos_scaler(release, written, expected) -> None:
    assert nemo1_profile(release).gets_nemo_scaler(written) is expected


def test_distributed_optimizers_per_release() -> None:
    assert nemo1_profile("1.12").distributed_optimizers == ()
    assert nemo1_profile("1.13").distributed_optimizers == ("distributed_fused_adam",)
    assert nemo1_profile("2.x").distributed_optimizers == ("distributed_fused_adam", "mcore_distributed_optim")
    assert nemo1_profile("2.7").v2x and nemo1_profile("2.x").mcore_flags == ("mcore_gpt", "mcore_bert", "mcore_t5")
