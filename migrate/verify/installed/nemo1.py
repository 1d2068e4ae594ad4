"""The legacy side computed by NeMo 1.x itself: `nemo-migrate snapshot` and the `nemo1` conformance
harness both run this, in a process of its own (`python -m migrate.verify.installed.nemo1 CASES.json
OUT.json [TE_VERSION]`): it replaces modules in `sys.modules` and starts a one-process gloo group.

For each legacy YAML and each trainer builder asked for, NeMo's own code computes the legacy side:
1. the config is loaded with OmegaConf, the case's `--set` overrides applied and its `--env` values
   placed in the environment (variables the YAML reads but the case does not give are removed, so
   the written defaults apply, as `convert` assumes);
2. the builder's `_training_strategy()` (for its FSDP side effect on `megatron_amp_O2`; constructing
   NeMo's DDP strategy needs apex and may then fail, which is recorded and ignored) and `_plugins()`:
   the precision plugin and its GradScaler;
3. `MegatronGPTModel(cfg.model, trainer)`: `MegatronBaseModel.__init__` (dtypes, autocast,
   `build_model_parallel_config()`, shared by the GPT, BERT and T5 models), `build_transformer_config()`
   (the mcore path's FP8 fields), up to `build_model`, where construction stops; for the legacy path
   with FP8 the model's own `model_provider_func` then runs `GPTModel` -> `ParallelTransformer.__init__`
   until it has built its `DelayedScaling`; for the mcore path the release's own Megatron-core recipe
   code (`TransformerBlock.forward` under `if self.config.fp8:`) builds the recipe from the TransformerConfig.

Stand-ins, each named and none able to change a precision value:
- `transformer_engine`: the recording recipe module (standins.RecordingTE) plus import-time base
  classes for Megatron-core's TE layer wrappers (`te.pytorch.Linear`, ...), which megatron-core 0.3-0.5
  subclasses at import; they are never instantiated (construction stops before layers are built).
  Installed over a real Transformer Engine too, so that every machine records the same way.
- `youtokentome`: an empty module (a tokenizer library NeMo imports; its C++ build needs Cython < 3).
- `torch.cuda.is_available()` reports True while the builder builds its plugins (torch's GradScaler
  disables itself on a machine without CUDA and then records no settings).
- apex and flash-attn: the model's "apex present" and "flash_attn present" flags are set; nothing of
  either runs before `build_model`.
- `initialize_model_parallel_for_nemo`: replaced by Megatron-core's `initialize_model_parallel` for one
  process (a gloo group on 127.0.0.1, with the FP8 amax-reduction group), so layers can ask their
  parallel sizes; the real one needs CUDA and apex's microbatch calculator. The configured parallel
  sizes stay in the config, where the builders and TransformerConfig read them.
- Lightning's CPU accelerator with one device instead of the YAML's GPUs, and no `precision=` flag
  (with a NeMo plugin in `plugins`, PyTorch Lightning 2.0.7 uses the plugin and ignores the flag).
- Model shape: no tokenizer (vocabulary 128), 128 position embeddings, `use_cpu_initialization`
  (where the embedding weights are created) and no data section: sizes and placement, never a
  precision key. Values that cannot be resolved outside the job become placeholders (`settle`).
  Keys NeMo reads by attribute but a minimal YAML may omit (`optim`, parallel sizes,
  `gradient_as_bucket_view`, the model sizes) are filled only when absent (REQUIRED, SIZES).
Not reached (verify's own model fills these rows, and says so): O2 wrapping (`Float16Module`; its
dtype is the model parallel config's fp16/bf16 flags, read here), the optimizer (so the grad-reduce
dtype) and `fp8_params` (`fp8_model_init`, GPU path only).

Standard library at import time; NeMo, torch and OmegaConf are imported by the functions that run.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import sys
import types
from unittest import mock

from migrate.verify.installed.source import if_block, module_source
from migrate.verify.installed.standins import RecordingTE, error_text, jsonable

SHAPE = {"max_position_embeddings": 128, "use_cpu_initialization": True}
VOCAB = 128  # padded_vocab_size without a tokenizer
# Model sizes a minimal YAML may leave out (filled only when absent, like REQUIRED).
SIZES = {"num_layers": 128, "hidden_size": 256, "ffn_hidden_size": 1024, "num_attention_heads": 16,
         "micro_batch_size": 1, "global_batch_size": 1}
DROPPED = ("tokenizer", "data", "encoder_tokenizer", "decoder_tokenizer")
# Keys every real NeMo 1.x config has but a minimal YAML may omit (NeMo then fails on attribute
# access); filled only when absent, with the value verify assumes for an absent key.
REQUIRED = {"optim": {"name": "fused_adam"}, "tensor_model_parallel_size": 1, "pipeline_model_parallel_size": 1,
            "gradient_as_bucket_view": True}


class StopAtBuildModel(Exception):
    """Raised by the build_model stand-in: construction ends here, the model so far is kept."""

    def __init__(self, model):
        super().__init__("stopped at build_model")
        self.model = model


class NotRunnable(Exception):
    """The config needs a value only the training job has (e.g. a parallel size from its environment)."""


class StopAtRecipe(Exception):
    """Raised right after the legacy ParallelTransformer has built (and the stand-in recorded) its recipe."""


class NotBuilt(Exception):
    """Raised by the import-time TE layer classes if anything tries to build a layer."""


def install_import_standins(te: RecordingTE) -> None:
    def placeholder(name: str) -> type:
        def refuse(self, *args, **kwargs):
            raise NotBuilt(f"transformer_engine.pytorch.{name} is an import-time stand-in")

        return type(name, (), {"__init__": refuse})

    pytorch = te.modules["transformer_engine.pytorch"]
    for name in ("Linear", "LayerNormLinear", "LayerNormMLP", "DotProductAttention", "LayerNorm", "RMSNorm", "TransformerLayer"):
        setattr(pytorch, name, placeholder(name))
    distributed = types.ModuleType("transformer_engine.pytorch.distributed")
    distributed.checkpoint = lambda *a, **k: (_ for _ in ()).throw(NotBuilt("te checkpoint"))
    pytorch.distributed = distributed
    te.modules[distributed.__name__] = distributed
    sys.modules.update(te.modules)
    sys.modules.setdefault("youtokentome", types.ModuleType("youtokentome"))


def load_config(case: dict):
    from omegaconf import OmegaConf, open_dict

    for name in set(re.findall(r"oc\.env:\s*([A-Za-z_][A-Za-z0-9_]*)", case["text"])):
        os.environ.pop(name, None)
    os.environ.update(case.get("env", {}))
    cfg = OmegaConf.create(case["text"])
    package = launcher_package(cfg, case["text"])
    if package:  # a NeMo-Framework-Launcher file refers to itself under the package it is composed into
        cfg = OmegaConf.create({package: cfg})[package]
    for item in case.get("sets", []):
        if item.startswith("~"):
            *parent, leaf = item[1:].split("=", 1)[0].split(".")
            node = OmegaConf.select(cfg, ".".join(parent)) if parent else cfg
            if node is not None and leaf in node.keys():  # `in node` is False for a `???` value
                with open_dict(node):
                    del node[leaf]
        else:
            import yaml

            key, _, value = item.lstrip("+").partition("=")
            OmegaConf.update(cfg, key, yaml.safe_load(value) if value.strip() else "", force_add=True)
    unresolved = settle(cfg)
    needed = sorted(path for path in unresolved if path.rsplit(".", 1)[-1] in REQUIRED)
    if needed:
        raise NotRunnable(f"{', '.join(needed)} cannot be resolved outside the training job")
    cfg = OmegaConf.create(OmegaConf.to_container(cfg, resolve=True))  # values fixed before sections go
    sections = case.get("sections")
    if sections:  # one run of a file holding several (actor, critic): its own trainer and model sections
        if not sections["model"] or OmegaConf.select(cfg, sections["trainer"]) is None:
            raise NotRunnable("no trainer section for this run: NeMo's trainer builders need one")
        cfg = OmegaConf.create({"trainer": OmegaConf.select(cfg, sections["trainer"]),
                                "model": OmegaConf.select(cfg, sections["model"])})
    with open_dict(cfg):
        for name in DROPPED:
            cfg.model.pop(name, None)
        for name, value in {**REQUIRED, **SIZES}.items():
            if cfg.model.get(name) is None:
                cfg.model[name] = value
        cfg.model.update(SHAPE)
    return cfg


def launcher_package(cfg, text: str) -> str | None:
    """`training` for a launcher file that writes `${training.model.x}` for its own keys, else None."""
    heads = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\.", text)) - set(cfg.keys())
    return heads.pop() if len(heads) == 1 else None


def settle(node, path: str = "") -> list[str]:
    """Give every value that cannot be resolved here a plain placeholder (REQUIRED keys their value).

    Launcher files interpolate other packages of the launcher's config (`${base_results_dir}`,
    `${peft.run...}`), training scripts register resolvers (`${floor_div:...}`), and some values are
    `???` until a job fills them. `convert` succeeded for every config run here, so none of those is
    a value the precision depends on; NeMo resolves the whole model section, so they must resolve.
    Returns the dotted paths it replaced (a REQUIRED key among them makes the config not runnable)."""
    from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

    keys = list(node.keys()) if isinstance(node, DictConfig) else list(range(len(node)))
    replaced = []
    with open_dict(node):
        for key in keys:
            try:
                if OmegaConf.is_missing(node, key):
                    raise ValueError("???")
                value = node[key]
            except Exception:
                node[key] = "<unresolved>"
                replaced.append(f"{path}{key}")
                continue
            if isinstance(value, (DictConfig, ListConfig)) and not OmegaConf.is_interpolation(node, key):
                replaced += settle(value, f"{path}{key}.")
    return replaced


@contextlib.contextmanager
def cuda_reported_available():
    import torch

    with mock.patch.object(torch.cuda, "is_available", lambda: True):
        yield


def builder_facts(cfg, name: str) -> tuple[list, dict]:
    from nemo.collections.nlp.parts import megatron_trainer_builder as builders

    builder = getattr(builders, name)(cfg)
    facts: dict = {}
    try:
        builder._training_strategy()
    except Exception as error:  # NeMo's DDP strategy needs apex: recorded, not fatal
        facts["strategy_error"] = error_text(error)
    with cuda_reported_available():
        plugins = builder._plugins()
    precision = [p for p in plugins if hasattr(p, "precision")]
    plugin = precision[0] if precision else None
    facts["plugin"] = None if plugin is None else type(plugin).__name__
    facts["plugin_precision"] = None if plugin is None else plugin.precision
    scaler = getattr(plugin, "scaler", None)
    # torch's GradScaler keeps its settings only when enabled (MegatronLMPPTrainerBuilder may disable it)
    settings = {name: getattr(scaler, "_" + name, None) for name in ("init_scale", "growth_interval", "growth_factor", "backoff_factor")}
    facts["scaler"] = None if scaler is None else {
        "class": type(scaler).__name__, "enabled": scaler.is_enabled(), **settings,
        "hysteresis": getattr(scaler, "hysteresis", None), "min_scale": getattr(scaler, "min_scale", None)}
    return plugins, facts


def one_process_parallel(**kwargs):
    """Stand-in for initialize_model_parallel_for_nemo: one process, every parallel size 1."""
    import torch.distributed as dist
    from megatron.core import parallel_state as ps
    from nemo.utils import AppState

    if not dist.is_initialized():
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    if not ps.model_parallel_is_initialized():
        # Megatron-core < 0.4 makes the FP8 amax-reduction group only when asked (it is one process here).
        fp8 = {"use_fp8": True} if "use_fp8" in inspect.signature(ps.initialize_model_parallel).parameters else {}
        ps.initialize_model_parallel(tensor_model_parallel_size=1, pipeline_model_parallel_size=1, **fp8)
    app = AppState()
    app.global_rank, app.world_size, app.local_rank = 0, 1, 0
    app.tensor_model_parallel_size = app.pipeline_model_parallel_size = app.data_parallel_size = 1


def model_facts(cfg, plugins, te: RecordingTE) -> dict:
    import pytorch_lightning as pl
    from nemo.collections.nlp.models.language_modeling import megatron_base_model, megatron_gpt_model
    from nemo.collections.nlp.modules.common.megatron import transformer

    trainer = pl.Trainer(plugins=plugins, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, max_steps=1)
    parallel_kwargs: dict = {}
    real_parallel_transformer = transformer.ParallelTransformer.__init__

    def parallel_transformer(self, *args, **kwargs):  # records the arguments, then runs the real one
        parallel_kwargs.update({k: v for k, v in kwargs.items() if k.startswith(("fp8", "transformer_engine", "reduce_amax", "precision"))})
        return real_parallel_transformer(self, *args, **kwargs)

    recipes = te.modules["transformer_engine.common.recipe"]

    class StopAfterRecording(recipes.DelayedScaling):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            raise StopAtRecipe()

    def build_model(model_provider_func, **kwargs):  # stand-in: stop here, after the legacy recipe
        model = model_provider_func.__self__
        if not model.cfg.get("mcore_gpt", False) and model.cfg.get("fp8", False):
            model.padded_vocab_size = VOCAB  # no tokenizer is built
            try:
                with mock.patch.object(recipes, "DelayedScaling", StopAfterRecording), \
                        mock.patch.object(transformer.ParallelTransformer, "__init__", parallel_transformer):
                    model_provider_func(pre_process=True, post_process=True)
                model._probe_stopped = "ParallelTransformer built no recipe"
            except StopAtRecipe:
                pass
            except Exception as error:  # anything before the recipe: recorded, its rows then stay empty
                model._probe_stopped = error_text(error)
        raise StopAtBuildModel(model)

    patches = [
        mock.patch.object(megatron_gpt_model, "build_model", build_model),
        mock.patch.object(megatron_base_model, "initialize_model_parallel_for_nemo", one_process_parallel),
    ]
    for module in (megatron_gpt_model, megatron_base_model):  # the releases differ in where they check
        patches += [mock.patch.object(module, flag, True) for flag in ("HAVE_APEX", "HAVE_FLASH_ATTENTION") if hasattr(module, flag)]
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        try:
            megatron_gpt_model.MegatronGPTModel(cfg.model, trainer)
            raise RuntimeError("MegatronGPTModel did not reach build_model")
        except StopAtBuildModel as stop:
            model = stop.model
    mp, tc = model.model_parallel_config, model.transformer_config
    facts = {
        "trainer_precision": trainer.precision,
        "torch_dtype": jsonable(model.torch_dtype), "params_dtype": jsonable(model.params_dtype),
        "autocast_dtype": jsonable(model.autocast_dtype), "megatron_amp_O2": bool(model.cfg.get("megatron_amp_O2", False)),
        "model_parallel": {k: jsonable(getattr(mp, k, None)) for k in ("fp16", "bf16", "params_dtype", "pipeline_dtype", "enable_autocast", "autocast_dtype")},
        "grad_scale_func_set": mp.grad_scale_func is not None,
        "mcore_gpt": bool(model.mcore_gpt),
        "transformer_config": {k: jsonable(getattr(tc, k, None)) for k in ("fp8", "fp8_margin", "fp8_interval", "fp8_amax_history_len", "fp8_amax_compute_algo", "fp8_wgrad")},
        "has_first_last_layers_bf16": hasattr(tc, "first_last_layers_bf16"),
        "parallel_transformer": jsonable(parallel_kwargs),
        "stopped": getattr(model, "_probe_stopped", None),
    }
    recipes = [c for c in te.recipes if c.name.endswith("Scaling")]
    if not model.mcore_gpt and recipes:
        facts["recipe"] = {"class": recipes[-1].name, "kwargs": jsonable(recipes[-1].kwargs), "defaults": jsonable(recipes[-1].defaults)}
    elif model.mcore_gpt and tc.fp8:
        facts["recipe"] = mcore_recipe(tc, te)
    return facts


def mcore_recipe(tc, te: RecordingTE) -> dict:
    """Megatron-core 0.3-0.5 build the recipe in TransformerBlock.forward under `if self.config.fp8:`."""
    from megatron.core.transformer import transformer_block

    te.recipes.clear()
    code = if_block(module_source("megatron.core.transformer.transformer_block"), "forward", "self.config.fp8")
    namespace = {**vars(transformer_block), "self": types.SimpleNamespace(config=tc)}
    try:
        with te.installed():
            exec(code, namespace)  # Megatron-core's own lines, against the recording stand-in
    except Exception as error:
        return {"error": error_text(error)}
    recipe = namespace.get("fp8_recipe")
    return {"class": recipe.name, "kwargs": jsonable(recipe.kwargs), "defaults": jsonable(recipe.defaults)}


# nemo-migrate's --trainer-builder names and the NeMo 1.x classes they stand for.
BUILDER_CLASSES = {"gpt": "MegatronTrainerBuilder", "bert": "MegatronBertTrainerBuilder", "t5": "MegatronT5TrainerBuilder",
                   "lmpp": "MegatronLMPPTrainerBuilder"}
# The Transformer Engine of NeMo 1.23's container, for a machine without one (it decides nothing here:
# Megatron-core 0.3-0.5 build the same DelayedScaling arguments for every TE 1.x).
DEFAULT_TE_VERSION = "1.2.0"
VERSIONED = ("nemo-toolkit", "megatron-core", "pytorch-lightning", "torch")


def probe(case: dict, te: RecordingTE) -> list[dict]:
    """One answer per builder of the case: {"id", "builder", "facts"} or with "exception" / "not_run"."""
    from nemo.collections.nlp.parts import megatron_trainer_builder as builders

    answers = []
    for builder in case["builders"]:
        te.recipes.clear()
        answer = {"id": case["id"], "builder": builder, "exception": None}
        try:
            if not hasattr(builders, builder):
                raise NotRunnable(f"{builder} is not in this NeMo release")
            cfg = load_config(case)
            plugins, facts = builder_facts(cfg, builder)
            facts.update(model_facts(cfg, plugins, te))
            answer["facts"] = facts
        except NotRunnable as reason:
            answer["not_run"] = str(reason)
        except Exception as error:  # noqa: BLE001 - NeMo refusing the config is a result
            answer["exception"] = error_text(error)
        answers.append(answer)
    return answers


def installed_te_version() -> str:
    """The installed Transformer Engine's version (it is never imported here), else DEFAULT_TE_VERSION."""
    from importlib.metadata import PackageNotFoundError, version

    for name in ("transformer-engine", "transformer_engine"):
        try:
            return version(name).split("+", 1)[0]
        except PackageNotFoundError:
            continue
    return DEFAULT_TE_VERSION


def run_cases(cases: list[dict], te_version: str | None = None) -> dict:
    """{"versions", "te_version", "results"} for every case and builder, in this process."""
    from importlib.metadata import PackageNotFoundError, version

    te_version = te_version or installed_te_version()
    te = RecordingTE(te_version)
    install_import_standins(te)
    results = [answer for case in cases for answer in probe(case, te)]
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {"versions": versions, "te_version": te_version, "results": results}


def main(cases_path: str, out_path: str, te_version: str | None = None) -> None:
    with open(cases_path, encoding="utf-8") as handle:
        cases = json.load(handle)
    answer = run_cases(cases, te_version)
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(answer, handle, indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
