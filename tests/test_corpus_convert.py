"""Every real config of the shared development corpus: which role it has, and that it converts, is skipped
with that role's reason, or fails with one located line. The roles were checked file by file against what
reads each config (the research notes' table "Config roles"); a change here is a change of meaning."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from migrate.convert import ConvertOptions, convert_path, load_config, specs_for

LOCATED = re.compile(r"^.+\.ya?ml(:\d+(:\d+)?)?: \S")
# Files that are not NeMo 1.0 training runs, and what they are instead.
NOT_TRAINING = {
    "aligner-v0.7.0__examples__nlp__cai__conf__inference_service.yaml": "inference",
    "aligner-v0.7.0__examples__nlp__synthetic_data_gen__conf__compute_topk_logits.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__conversion_hf2nemo__hf_llama2__convert_llama2_nemo.yaml": "conversion",
    "launcher-24.12__launcher_scripts__conf__evaluation__adapter_gpt3__squad.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__evaluation__baichuan2__evaluate_all.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__evaluation__peft_llama__squad.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__evaluation__retro__evaluate_nq.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__fw_inference__neva__inference.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__fw_inference__sdxl__sdxl_infer.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__ptq__model__quantization.yaml": "ptq",
    "launcher-24.12__launcher_scripts__conf__rag_generating__gpt3__7b.yaml": "inference",
    "launcher-24.12__launcher_scripts__conf__training__tp_overlap__ub_cfg_h100_fp8_h8192_tp4_mbs1_seqlen8192.yaml": "fragment",
    "mlperf-train-v4.0__NVIDIA__benchmarks__stable_diffusion__implementations__nemo__conf__sd_mlperf_infer.yaml": "inference",
    "mlperf-train-v4.1__NVIDIA__benchmarks__gpt3__implementations__eos_n32_ngc24.09_nemo__conf__tp_overlap__h100tp4mbs2.yaml": "fragment",
    "mlperf-train-v4.1__NVIDIA__benchmarks__stable_diffusion__implementations__b200_preview_nemo__conf__sd2_mlperf_train_moments.yaml": "not-expressible",
    "mlperf-train-v5.0__NVIDIA__benchmarks__llama2_70b_lora__implementations__nyx_n1_ngc25.04_nemo__conf__megatron_gpt_peft_tuning_config.yaml": "not-nemo1",
    "nemo-v1.23.0__examples__multimodal__multimodal_llm__neva__conf__neva_inference.yaml": "inference",
    "nemo-v1.23.0__examples__multimodal__text_to_image__imagen__conf__imagen_fid_images.yaml": "inference",
    "nemo-v1.23.0__examples__nlp__language_modeling__conf__megatron_falcon_inference.yaml": "inference",
    "nemo-v1.23.0__examples__nlp__language_modeling__conf__megatron_gpt_inference.yaml": "inference",
    "nemo-v1.23.0__examples__nlp__language_modeling__conf__megatron_llama_inference.yaml": "inference",
    "nemo-v1.23.0__scripts__nlp_language_modeling__conf__prompt_learning_ckpt_to_nemo.yaml": "conversion",
    "nemo-v1.23.0__scripts__nlp_language_modeling__service_launch_scripts__conf__retro_text_generation_server.yaml": "inference",
    "nemo-v2.4.0__examples__multimodal__multimodal_llm__neva__conf__neva_export.yaml": "inference",
    "nemo-v2.4.0__examples__multimodal__text_to_image__stable_diffusion__conf__sd_xl_export.yaml": "export",
    "nemo-v2.4.0__examples__nlp__information_retrieval__conf__megatron_gpt_embedder_generate_config.yaml": "inference",
    "nemo-v2.4.0__examples__nlp__language_modeling__conf__megatron_baichuan2_inference.yaml": "inference",
    "nemo-v2.4.0__examples__nlp__language_modeling__conf__megatron_gpt_ptq.yaml": "ptq",
    "nemo-v2.4.0__examples__nlp__rag__conf__rag_indexing.yaml": "data-preparation",
    "nemo-v2.4.0__examples__speechlm__conf__salm__salm_llama3-8b_fc_fc_peft.yaml": "nemo2",
    "nemo-v2.4.0__examples__tts__speechllm__conf__megatron_t5_speechllm_inference.yaml": "inference",
}
# Files NeMo 1.0's own loader refuses.
REFUSED = {
    "launcher-24.12__launcher_scripts__conf__training__nemotron__nemotron_340b.yaml": "duplicate key 'ub_tp_comm_overlap'",
}
MODEL_ONLY = {
    "mlperf-train-v4.1__NVIDIA__benchmarks__llama2_70b_lora__implementations__eos_n128_ngc24.09_nemo__conf__base__model_config.yaml",
    "nemo-v1.23.0__scripts__nlp_language_modeling__hf_t5v1_1_base_config.yaml",
}


def _status(path: Path, options: ConvertOptions) -> tuple[str, str | None, object]:
    result = convert_path(str(path), options)
    if result.status == "skipped":
        return "skipped", specs_for(load_config(str(path), options), options).role, result
    if result.status == "converted":
        parts = result.parts or (result,)
        return "converted", "+".join(sorted({part.spec.role.value for part in parts})), result
    return "failed", None, result


def test_every_corpus_file_has_its_role(corpus_dev: Path) -> None:
    counts: Counter[tuple[str, str | None]] = Counter()
    for path in sorted(corpus_dev.glob("*.yaml")):
        status, role, result = _status(path, ConvertOptions())
        counts[(status, role)] += 1
        name = path.name
        if name in REFUSED:
            assert status == "failed" and REFUSED[name] in result.message
            assert LOCATED.match(result.message) and "\n" not in result.message
        elif name in NOT_TRAINING:
            assert (status, role) == ("skipped", NOT_TRAINING[name]), name
        elif name in MODEL_ONLY:
            assert (status, role) == ("converted", "model-only"), name
        else:
            assert (status, role) == ("converted", "training"), (name, result.message)
            for part in result.parts or (result,):
                compile(part.output, str(path), "exec")
    assert counts[("converted", "training")] == len(list(corpus_dev.glob("*.yaml"))) - len(NOT_TRAINING) - len(REFUSED) - len(MODEL_ONLY)


def test_corpus_under_the_2x_rules_has_no_crash_and_only_located_errors(corpus_dev: Path) -> None:
    failed = []
    for path in sorted(corpus_dev.glob("*.yaml")):
        status, _, result = _status(path, ConvertOptions(nemo1_version="2.x", target_nemo="2.2"))
        if status == "failed":
            assert LOCATED.match(result.message) and "\n" not in result.message, result.message
            failed.append(path.name)
        elif status == "skipped":
            assert path.name in NOT_TRAINING
    assert set(failed) == set(REFUSED)
