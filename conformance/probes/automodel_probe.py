"""Runs inside a NeMo AutoModel environment: `python automodel_probe.py CASES.json OUT.json`.

For each YAML `convert --target automodel` wrote, AutoModel's own config code reads it:
`load_yaml_config`, the `distributed` section through `parse_distributed_section` (FSDP2's
`MixedPrecisionPolicy`, `autocast_dtype`), `model.torch_dtype` through `dtype_from_str`, the
optimizer's `_target_` as the loader resolves it, and the `fp8` block through `build_fp8_config` and
`apply_fp8_to_model`. Stand-ins for the last one (no GPU here): its SM 8.9 capability check reports
True, and torchao's `convert_to_float8_training` is a recorder that keeps the `Float8LinearConfig`
AutoModel built (the real torchao class; nothing is converted).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from unittest import mock

from migrate.verify.installed.standins import error_text, jsonable


def float8_facts(fp8_config) -> dict:
    """The torchao Float8LinearConfig AutoModel builds for this FP8Config."""
    import torch
    from nemo_automodel.components.quantization import fp8 as automodel_fp8

    recorded = {}

    def convert_to_float8_training(model, config, module_filter_fn=None):  # stand-in: records only
        recorded["config"] = config
        return model

    with mock.patch.object(automodel_fp8, "_has_cuda_capability", lambda major, minor: True), \
            mock.patch.object(automodel_fp8, "convert_to_float8_training", convert_to_float8_training), \
            mock.patch.object(automodel_fp8, "verify_fp8_conversion", lambda model: {}):
        automodel_fp8.apply_fp8_to_model(torch.nn.Sequential(torch.nn.Linear(16, 16)), config=fp8_config)
    config = recorded.get("config")
    if config is None:
        return {"converted": False}

    def cast(name: str) -> dict:
        value = getattr(config, name)
        return {"scaling_type": jsonable(value.scaling_type), "granularity": jsonable(value.scaling_granularity),
                "target_dtype": str(value.target_dtype).removeprefix("torch.") if value.target_dtype is not None else None}

    names = ("cast_config_input", "cast_config_weight", "cast_config_grad_output", "cast_config_input_for_grad_weight",
             "cast_config_weight_for_grad_input", "cast_config_grad_output_for_grad_weight")
    return {"converted": True, "enable_fsdp_float8_all_gather": config.enable_fsdp_float8_all_gather,
            **{name: cast(name) for name in names}}


def probe(case: dict, scratch: Path) -> dict:
    from nemo_automodel.components.config.loader import load_yaml_config
    from nemo_automodel.components.quantization.fp8 import build_fp8_config
    from nemo_automodel.recipes._dist_utils import _distributed_cfg_to_dict, parse_distributed_section
    from nemo_automodel.shared.utils import dtype_from_str

    path = scratch / "recipe.yaml"
    path.write_text(case["text"], encoding="utf-8")
    try:
        cfg = load_yaml_config(path)
        parsed = parse_distributed_section(_distributed_cfg_to_dict(cfg))
        strategy = parsed["strategy_config"]
        model = cfg.model.to_dict() if hasattr(cfg, "model") else {}
        storage = model.get("torch_dtype", "auto")
        storage = "auto" if storage == "auto" else dtype_from_str(storage)
        optimizer = cfg.optimizer.to_dict() if hasattr(cfg, "optimizer") else {}
        fp8_section = cfg.fp8.to_dict() if hasattr(cfg, "fp8") else None
        fp8_config = build_fp8_config(fp8_section)
        float8 = float8_facts(fp8_config) if fp8_config.enabled else None
    except Exception as error:
        return {"id": case["id"], "exception": "parse: " + error_text(error)}
    policy = getattr(strategy, "mp_policy", None)
    facts = {
        "strategy": type(strategy).__name__,
        "storage": jsonable(storage),
        "mp_policy": None if policy is None else {k: jsonable(getattr(policy, k)) for k in ("param_dtype", "reduce_dtype", "output_dtype", "cast_forward_inputs")},
        "autocast_dtype": jsonable(getattr(strategy, "autocast_dtype", None)),
        "pipeline": jsonable(parsed.get("pipeline_config")),
        "optimizer_target": _target_name(optimizer.get("_target_")),
        "master_weights": optimizer.get("master_weights"),
        "fp8": None if not fp8_config.enabled else {"recipe_name": fp8_config.recipe_name, "filter_fqns": list(fp8_config.filter_fqns),
                                                    "enable_fsdp_float8_all_gather": fp8_config.enable_fsdp_float8_all_gather},
        "float8": float8,
    }
    return {"id": case["id"], "facts": facts, "exception": None}


def _target_name(target) -> str | None:
    if target is None:
        return None
    if isinstance(target, str):
        return target
    return f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', target)}"


def main(cases_path: str, out_path: str) -> None:
    from importlib.metadata import version

    cases = json.load(open(cases_path, encoding="utf-8"))
    recipes = Path(__import__("nemo_automodel").__file__).parent / "recipes" / "llm"
    scaler_users = sorted(p.name for p in recipes.rglob("*.py") if "GradScaler" in p.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        results = [probe(case, Path(scratch)) for case in cases]
    for result in results:
        if result.get("facts") is not None:
            result["facts"]["grad_scaler_in"] = scaler_users
    versions = {name: version(name) for name in ("nemo-automodel", "torchao", "torch")}
    json.dump({"versions": versions, "results": results}, open(out_path, "w", encoding="utf-8"), indent=1)


if __name__ == "__main__":
    main(*sys.argv[1:3])
