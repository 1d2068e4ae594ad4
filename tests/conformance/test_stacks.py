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

CORPUS = "corpus/"

# (environments, case, row) -> the source behaviour behind the disagreement. Every entry today is a
# development-corpus config that NeMo 1.x refuses in Megatron-core's TransformerConfig.__post_init__
# for a setting that is not a precision key: verify checks precision only, so it cannot predict these.
KNOWN: dict[tuple[tuple[str, ...], str, str], str] = {}

NEMO1_21, NEMO1_23 = ("nemo1-1.21",), ("nemo1-1.23",)


def _refused(envs: tuple[str, ...], builders: tuple[str, ...], cases: tuple[str, ...], why: str) -> None:
    release = {NEMO1_21: "NeMo 1.21 + Megatron-core 0.3", NEMO1_23: "NeMo 1.23 + Megatron-core 0.5"}.get(envs, "NeMo 1.21 and 1.23")
    text = f"{release} refuse this config for a setting outside precision (TransformerConfig.__post_init__): {why}"
    KNOWN.update({(envs, f"{CORPUS}{case} [{b}]", RAISES): text for case in cases for b in builders})


_SELECTIVE = ("launcher-23.03__launcher_scripts__conf__training__gpt3__5b.yaml",
              "mlperf-train-v3.0__NVIDIA__benchmarks__gpt3__implementations__pytorch__conf__megatron_gpt_config.yaml")
_SELECTIVE_WHY = "recompute_granularity 'selective' with recompute_num_layers set (written for the legacy path)"
_refused(NEMO1_23, ("gpt", "lmpp"), _SELECTIVE, _SELECTIVE_WHY)
_refused(NEMO1_21, ("gpt",), _SELECTIVE, _SELECTIVE_WHY)
_SP_WHY = "sequence_parallel with tensor_model_parallel_size 1 (an auto-configurator template: the tool fills the sizes in)"
_refused(NEMO1_23, ("gpt", "lmpp"), ("launcher-24.12__auto_configurator__base_configs__gpt3.yaml",), _SP_WHY)
_refused(NEMO1_21, ("gpt",), ("launcher-24.12__auto_configurator__base_configs__gpt3.yaml",), _SP_WHY)
_refused(NEMO1_21 + NEMO1_23, ("bert",), ("launcher-24.12__auto_configurator__base_configs__bert.yaml",), _SP_WHY)
_refused(NEMO1_23, ("gpt", "lmpp"), ("launcher-24.12__launcher_scripts__conf__training__gpt3__mlperf.yaml",),
         "cpu_offloading_num_layers is not below num_layers")
_refused(NEMO1_23, ("gpt", "lmpp"), ("launcher-24.12__launcher_scripts__conf__training__grok__grok1_proxy.yaml",),
         "bias_activation_fusion with a gelu activation needs add_bias_linear")
# Megatron-core 0.3 (NeMo 1.21) checks bias_gelu_fusion against add_bias_linear; these configs, written for
# later releases, set `bias: False` and keep the fusion flag on.
_refused(NEMO1_21, ("gpt",), (
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
), "bias_gelu_fusion needs add_bias_linear")

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
