"""The real stacks as oracles (`conformance/`): a disagreement with verify fails a test.

Each environment's harness runs when its environment is cached (`python -m conformance ENV`
installed it) or when NEMO_MIGRATE_CONFORMANCE asks to install it: `1` or `all` for every
environment, or a comma-separated list of environments and stacks (`nemo2-2.5`, `bridge`).
`NEMO_MIGRATE_CONFORMANCE=0` skips them all. Without either, the tests skip and say how to run them.

KNOWN lists the disagreements found so far, each with the source behaviour behind it. Each entry is
an xfail(strict=True) test of its own: once one side changes so that they agree, the test passes
unexpectedly, which fails the run, and the entry must go.
"""

from __future__ import annotations

import functools
import os

import pytest

from conformance.cases import CORPUS_VARIABLE, corpus_dir
from conformance.compare import RAISES
from conformance.envs import ENVS, installed
from conformance.run import run_env

NEMO2 = tuple(n for n in ENVS if n.startswith("nemo2-"))
BRIDGE = tuple(n for n in ENVS if n.startswith("bridge-"))
CORPUS = "corpus/"

_NOT_PRECISION = "NeMo 1.23 / Megatron-core 0.5 refuse this config for a reason outside precision: "

# (environments, case, row) -> the source behaviour behind the disagreement
KNOWN: dict[tuple[tuple[str, ...], str, str], str] = {}


NEMO1 = ("nemo1-1.21", "nemo1-1.23")


def _nemo1(case: str, builders: tuple[str, ...], why: str, row: str = RAISES, envs: tuple[str, ...] = NEMO1) -> dict:
    return {(envs, f"{case} [{b}]", row): why for b in builders}


_LMPP = ("MegatronLMPPTrainerBuilder (the SFT/PEFT scripts) builds GradScaler(enabled=False) when "
         "pipeline_model_parallel_size > 1 (nemo/collections/nlp/parts/megatron_trainer_builder.py, "
         "MegatronLMPPTrainerBuilder._grad_scaler); verify models MegatronTrainerBuilder only and reports a dynamic "
         "scaler. Needs --trainer-builder (issue 11, section 2).")
for _row in ("loss_scaler", "initial_loss_scale", "loss_scale_window", "hysteresis", "loss_scale_applied"):
    KNOWN.update(_nemo1("fixtures/conformance/fp16_o1_pipeline_parallel.yaml", ("lmpp",), _LMPP, row=_row, envs=("nemo1-1.23",)))
_POST_INIT = {
    "launcher-23.03__launcher_scripts__conf__training__gpt3__5b.yaml": "selective recompute with recompute_num_layers set",
    "mlperf-train-v3.0__NVIDIA__benchmarks__gpt3__implementations__pytorch__conf__megatron_gpt_config.yaml": "selective recompute with recompute_num_layers set",
    "launcher-24.12__auto_configurator__base_configs__gpt3.yaml": "sequence_parallel with tensor parallel size 1",
    "launcher-24.12__launcher_scripts__conf__training__gpt3__mlperf.yaml": "cpu_offloading_num_layers >= num_layers",
    "launcher-24.12__launcher_scripts__conf__training__grok__grok1_proxy.yaml": "bias_activation_fusion with gelu needs add_bias_linear",
}
for _case, _why in _POST_INIT.items():
    _envs = NEMO1 if "recompute" in _why or "sequence" in _why else ("nemo1-1.23",)
    KNOWN.update(_nemo1(CORPUS + _case, ("gpt", "lmpp"), _NOT_PRECISION + _why + " (TransformerConfig.__post_init__)", envs=("nemo1-1.23",)))
    if _envs == NEMO1:
        KNOWN.update(_nemo1(CORPUS + _case, ("gpt",), _NOT_PRECISION + _why + " (TransformerConfig.__post_init__)", envs=("nemo1-1.21",)))
KNOWN.update(_nemo1(CORPUS + "launcher-24.12__auto_configurator__base_configs__bert.yaml", ("bert",),
                    _NOT_PRECISION + "sequence_parallel with tensor parallel size 1 (TransformerConfig.__post_init__)"))
_NO_TRAINER_PRECISION = ("no trainer.precision: NeMo's trainer builders read cfg.trainer.precision as an attribute "
                         "(MegatronTrainerBuilder._plugins) and refuse the config; verify assumes Lightning's default 32-true")
for _case in ("mlperf-train-v4.1__NVIDIA__benchmarks__stable_diffusion__implementations__b200_preview_nemo__conf__sd2_mlperf_train_moments.yaml",
              "mlperf-train-v5.0__NVIDIA__benchmarks__llama2_70b_lora__implementations__nyx_n1_ngc25.04_nemo__conf__megatron_gpt_peft_tuning_config.yaml"):
    KNOWN.update(_nemo1(CORPUS + _case, ("gpt", "lmpp"), _NO_TRAINER_PRECISION, envs=("nemo1-1.23",)))
    KNOWN.update(_nemo1(CORPUS + _case, ("gpt",), _NO_TRAINER_PRECISION, envs=("nemo1-1.21",)))
_DUPLICATE = ("duplicate key model.ub_tp_comm_overlap: OmegaConf (and so Hydra, NeMo's loader) refuses the file "
              "(ConstructorError); convert reads it without a word")
KNOWN.update(_nemo1(CORPUS + "launcher-24.12__launcher_scripts__conf__training__nemotron__nemotron_340b.yaml", ("gpt", "lmpp"), _DUPLICATE, envs=("nemo1-1.23",)))
KNOWN.update(_nemo1(CORPUS + "launcher-24.12__launcher_scripts__conf__training__nemotron__nemotron_340b.yaml", ("gpt",), _DUPLICATE, envs=("nemo1-1.21",)))
# NeMo 1.21 only.
_BIAS_GELU_121 = (
    "dgxc-v25.03__llama3.1__llama3.1_70b.yaml",
    "dgxc-v25.03__llama3.1__llama3.1_8b.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a3mega__nemo-configs__mixtral-8x7b-256gpus-bf16.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a3ultra__nemo-configs__llama3-1-405b-576gpus-a3ultra-bf16.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a3ultra__nemo-configs__llama3-1-405b-576gpus-a3ultra-fp8.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a3ultra__nemo-configs__llama3-1-70b-256gpus-a3ultra-fp8.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__llama3-1-405b-224gpus-a4-bf16.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__llama3-1-405b-224gpus-a4-fp8.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__llama3-1-70b-1024gpus-a4-bf16.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__llama3-1-70b-1024gpus-a4-fp8.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__mixtral-8x7b-16-32-gpus-a4-bf16.yaml",
    "gpurecipes-2e1fd5e__src__frameworks__a4__nemo-configs__mixtral-8x7b-16-32-gpus-a4-fp8.yaml",
    "launcher-24.12__auto_configurator__base_configs__mixtral_3b.yaml",
    "launcher-24.12__auto_configurator__base_configs__qwen2_14b.yaml",
    "launcher-24.12__launcher_scripts__conf__training__chatglm__chatglm2-6b.yaml",
    "launcher-24.12__launcher_scripts__conf__training__grok__grok1_proxy.yaml",
    "launcher-24.12__launcher_scripts__conf__training__llama__llama3_1_405b.yaml",
    "launcher-24.12__launcher_scripts__conf__training__llama__llama3_8b.yaml",
    "nemo-v2.4.0__examples__nlp__language_modeling__conf__megatron_qwen2_config.yaml",
)
for _case in _BIAS_GELU_121:
    KNOWN.update(_nemo1(CORPUS + _case, ("gpt",), _NOT_PRECISION.replace("1.23", "1.21").replace("0.5", "0.3")
                        + "bias_gelu_fusion needs add_bias_linear (Megatron-core 0.3 TransformerConfig.__post_init__); "
                          "these configs, written for later releases, set bias: False", envs=("nemo1-1.21",)))
_FSDP_121 = ("NeMo 1.21 has no FSDP: neither megatron_trainer_builder.py nor megatron_base_model.py reads model.fsdp, "
             "so megatron_amp_O2 stays on (O2 weights in fp16); verify's 1.21 semantics apply 1.23's 'FSDP forces O2 off'")
for _row in ("amp_mode", "params_dtype"):
    KNOWN.update(_nemo1("fixtures/convert/fsdp_fp16_v2x.yaml", ("gpt",), _FSDP_121, row=_row, envs=("nemo1-1.21",)))
KNOWN.update(_nemo1("fixtures/lint/legacy.yaml", ("gpt",), (
    "NeMo 1.21 (and 1.22) give Megatron the GradScaler only when the model dtype is fp16 "
    "(megatron_base_model.py build_model_parallel_config: grad_scale_func ... if self.torch_dtype == torch.float16); "
    "1.23 tests trainer.precision. Here trainer.precision 16 with model.precision bf16: 1.21 applies no loss scale, "
    "verify's 1.21 column says it does"), row="loss_scale_applied", envs=("nemo1-1.21",)))

EXPANDED = {(env, case, row): why for (envs, case, row), why in KNOWN.items() for env in envs}


def _requested(name: str) -> bool:
    wanted = os.environ.get("NEMO_MIGRATE_CONFORMANCE", "")
    if wanted.lower() in ("1", "all", "true", "yes"):
        return True
    return any(item.strip() in (name, ENVS[name].stack) for item in wanted.split(",") if item.strip())


def _skip_reason(name: str) -> str | None:
    if os.environ.get("NEMO_MIGRATE_CONFORMANCE", "") == "0":
        return "NEMO_MIGRATE_CONFORMANCE=0"
    if installed(ENVS[name]) or _requested(name):
        return None
    return (f"conformance environment {name} is not installed: run `python -m conformance {name}` "
            f"(or set NEMO_MIGRATE_CONFORMANCE={name} to install it from the tests)")


@functools.lru_cache(maxsize=None)
def _result(name: str):
    from conformance.envs import install

    if not installed(ENVS[name]):
        install(ENVS[name])
    return run_env(name, corpus_dir())


@pytest.mark.parametrize("name", list(ENVS))
def test_real_stack_agrees_with_verify(name):
    reason = _skip_reason(name)
    if reason:
        pytest.skip(reason)
    result = _result(name)
    assert result.cases > 0
    unexpected = [d for d in result.disagreements if (name, d.case, d.row) not in EXPANDED]
    assert not unexpected, f"{name}: {len(unexpected)} disagreement(s) with verify:\n" + "\n".join(d.describe() for d in unexpected)


@pytest.mark.parametrize(
    "name,case,row",
    [pytest.param(env, case, row, marks=pytest.mark.xfail(strict=True, reason=why), id=f"{env}:{case}:{row}")
     for (env, case, row), why in sorted(EXPANDED.items())],
)
def test_known_disagreement(name, case, row):
    reason = _skip_reason(name)
    if reason:
        pytest.skip(reason)
    if case.startswith(CORPUS) and corpus_dir() is None:
        pytest.skip(f"a development-corpus case: set {CORPUS_VARIABLE} to the corpus directory to run it")
    found = {d.key for d in _result(name).disagreements}
    assert (case, row) not in found
