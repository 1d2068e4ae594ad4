"""What a YAML file is, before anything is read as training precision: the config's role.

Only a NeMo 1.0 *training* run (or a model-only `.nemo` config, which records one) has precision
settings to migrate. Export, PTQ, inference, evaluation and checkpoint-conversion configs carry
precision keys that mean something else (an export dtype, the dtype a restored model runs in, a
converter's own flag), and YAML written for NeMo 2.x or Megatron-core runners uses keys NeMo 1.x
never reads. Each is skipped with the evidence. A file holding several full runs (the launcher's
PPO stage: `actor:` and `critic:`) yields one run each. Recognition rules follow the research
notes ("Config roles", table F.0), one function per role.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from migrate.legacy.layout import SIGNAL_KEYS, Layout, Skip, targets

Data = dict[str, Any]


def _dict(node: Any, *path: str) -> dict | None:
    for part in path:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node if isinstance(node, dict) else None


def _has_optimizer(data: Data, model: str = "model") -> bool:
    return _dict(data, model, "optim") is not None


def nemo2_or_automodel(data: Data) -> Skip | None:
    for target in targets(data):
        if "MegatronMixedPrecision" in target or target.startswith("nemo.lightning"):
            return Skip(f"already NeMo 2.0 (_target_: {target})", "nemo2")
        if target.startswith("nemo_automodel"):
            return Skip(f"a NeMo AutoModel config (_target_: {target}), not NeMo 1.0", "automodel")
    return None


_MCORE_OPTIM_KEYS = ("use_distributed_optimizer", "overlap_grad_reduce", "overlap_param_gather", "clip_grad")
_RUNNER_SECTIONS = ("ddp", "strategy", "plugins", "callbacks")


def not_nemo1(data: Data) -> Skip | None:
    """YAML for NeMo 2.x / Megatron-core runners: top-level optim/ddp/strategy sections, no model.optim.
    NeMo 1.x reads the optimizer only from `model.optim` (megatron_base_model.py:148) and never `ddp.*`."""
    if _has_optimizer(data):
        return None
    found = []
    optim = _dict(data, "optim") or {}
    found.extend(f"optim.{key}" for key in _MCORE_OPTIM_KEYS if key in optim)  # a root NeMo 1 `optim` with a name
    found.extend(name for name in _RUNNER_SECTIONS if _dict(data, name) is not None)  # is a model_config.yaml's
    if not found:
        return None
    return Skip(
        f"keys NeMo 1.x never reads ({', '.join(found)} at the top level, no model.optim): a config for a "
        "NeMo 2.x / Megatron-core runner, not a NeMo 1.0 training config",
        "not-nemo1",
    )


def export_or_ptq(data: Data) -> Skip | None:
    """TensorRT-LLM / TensorRT export and post-training quantization: `model.precision` is an export dtype."""
    if _has_optimizer(data):
        return None  # QAT: quantization + a training run (megatron_gpt_qat.py calls trainer.fit)
    if _dict(data, "quantization") is not None and _dict(data, "export") is not None:
        return Skip(
            "a post-training quantization (PTQ) config (quantization: section, no model.optim): its precision is the "
            "dtype the quantized model is exported in, not a training setting",
            "ptq",
        )
    for section in ("export", "trt"):
        if _dict(data, section) is not None:
            return Skip(
                f"an export config ({section}: section, no model.optim): model.precision there is the export dtype, "
                "not a training setting",
                "export",
            )
    return None


_CONVERSION_RUN_KEYS = ("huggingface_ckpt_path", "nemo_file_name")


def checkpoint_conversion(data: Data) -> Skip | None:
    """Converters take precision from their own --precision flag (default 16), never from this file."""
    run = _dict(data, "run") or {}
    if any(key in run for key in _CONVERSION_RUN_KEYS) or (
        "checkpoint_dir" in data and "model_type" in data and not _has_optimizer(data)
    ):
        return Skip(
            "a checkpoint-conversion template: the converter takes precision from its own --precision flag "
            "(default 16); this file's trainer and model precision are never passed to it",
            "conversion",
        )
    return None


_INFERENCE_SECTIONS = ("inference", "infer", "fid", "server")
_INFERENCE_KEYS = (
    "gpt_model_file",
    "neva_model_file",
    "retro_model_file",
    "adapter_model_file",
    "pred_file_path",
    "qa_file_path",
)
_INFERENCE_NAME = re.compile(r"(?<![a-z])(infer|inference|eval|evaluation|generate|generation)(?![a-z])")


def _job_names(data: Data) -> list[str]:
    run = _dict(data, "run") or {}
    return [str(value) for value in (data.get("name"), run.get("name")) if isinstance(value, str)]


def inference_or_evaluation(data: Data) -> Skip | None:
    """Generation, serving and evaluation: no `fit`; O2 and the weights' dtype come from the restored .nemo.
    A job name that says so (`megatron_t5_speechllm_tts_inference`, launcher `fw_inference_*`) decides
    even with an optimizer section; inference sections and model-file keys only without one (SFT
    configs carry an `inference:` section for their validation generations)."""
    named = [name for name in _job_names(data) if _INFERENCE_NAME.search(name.lower())]
    evidence = [f"job name {named[0]!r}"] if named else []
    if not _has_optimizer(data):
        evidence += [f"{name}:" for name in _INFERENCE_SECTIONS if name in data]
        evidence += [name for name in _INFERENCE_KEYS if name in data]
        train = _dict(data, "model", "data", "train_ds")
        if _dict(data, "model", "data", "test_ds") is not None and train is None:
            evidence.append("model.data.test_ds only")
    if not evidence:
        return None
    return Skip(
        f"an inference or evaluation config ({', '.join(evidence[:3])}): precision there is the dtype the restored "
        "model runs in, and O2 comes from the restored .nemo; no training run to migrate",
        "inference",
    )


def data_preparation(data: Data) -> Skip | None:
    if _dict(data, "indexing") is not None:
        return Skip("a data-preparation (indexing) config: no model is trained", "data-preparation")
    return None


SKIP_RULES: tuple[Callable[[Data], Skip | None], ...] = (
    nemo2_or_automodel,
    not_nemo1,
    export_or_ptq,
    inference_or_evaluation,
    checkpoint_conversion,
    data_preparation,
)


def _run_sections(data: Data) -> list[str]:
    """Top-level keys holding a full run each (their own trainer and model), e.g. actor and critic."""
    return [
        name
        for name, node in data.items()
        if isinstance(name, str) and _dict(node, "trainer") is not None and _dict(node, "model") is not None
    ]


def _training_layout(data: Data, prefix: str = "") -> Layout | None:
    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    node = _dict(data, prefix) if prefix else data
    if node is None:
        return None
    trainer = _dict(node, "trainer")
    model = _dict(node, "model")
    run = prefix or None
    # A training run: trainer.precision, or precision keys in a model section (its trainer may come from
    # another file). The evidence is shown only for roles other than training, so none is recorded here.
    if (trainer is not None and "precision" in trainer) or (model is not None and SIGNAL_KEYS & set(model)):
        return Layout(at("model"), trainer is not None, at("trainer"), "training", run)
    if trainer is None and SIGNAL_KEYS & set(node):
        return Layout(prefix, False, at("trainer"), "model-only", run, "model keys at the root, no trainer section")
    return None


def detect_runs(config) -> list[Layout] | Skip:
    """The runs of a config (usually one), or why it holds none to migrate."""
    data = config.data
    if not isinstance(data, dict):
        return Skip("not a mapping at the top level; not a NeMo 1.0 config", "not-nemo1")
    for rule in SKIP_RULES:
        skip = rule(data)
        if skip is not None:
            return skip
    sections = _run_sections(data)
    if len(sections) > 1:
        runs = [layout for name in sections if (layout := _training_layout(data, name)) is not None]
        if runs:
            return runs
    layout = _training_layout(data)
    if layout is not None:
        return [layout]
    return Skip("no NeMo 1.0 precision keys (trainer.precision, model.precision, model.fp8*, ...)")
