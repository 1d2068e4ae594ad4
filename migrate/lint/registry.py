"""All lint rules by code, in code order, and lookup by code or kebab-case name."""

from __future__ import annotations

import importlib

from migrate.lint.rule import Rule

_MODULES = (
    "nmp001_unused_noqa",
    "nmp002_unreadable_input",
    "nmp100_nemo1_refuses_config",
    "nmp101_fp8_format_missing",
    "nmp102_fp8_both_formats",
    "nmp103_fp8_without_transformer_engine",
    "nmp104_fp8_format_without_fp8",
    "nmp105_loss_scaling_key_unused",
    "nmp106_invalid_precision",
    "nmp107_model_precision_differs",
    "nmp108_amp_o2_with_fp32",
    "nmp109_fp16_o2_needs_distributed_optimizer",
    "nmp110_fsdp_with_fp8",
    "nmp111_fp8_interval_ignored",
    "nmp112_fp8_params_without_fp8",
    "nmp113_unknown_precision_key",
    "nmp120_nemo2_default_differs",
    "nmp121_o1_autocast",
    "nmp122_reduce_amax_false",
    "nmp123_nemo2_drops_setting",
    "nmp124_fp16_loss_scaling",
    "nmp125_gradient_clipping",
    "nmp126_decided_elsewhere",
    "nmp130_migration_note",
    "nmp201_automodel_bf16_adam_state",
    "nmp202_automodel_fp8_without_compile",
    "nmp203_automodel_fp8_dims",
    "nmp204_automodel_unknown_fp8_recipe",
    "nmp301_unknown_precision_argument",
    "nmp302_fp8_bool",
    "nmp303_first_last_bf16_delayed",
    "nmp304_bridge_fp8_param_overwritten",
    "nmp305_trainer_gradient_clip_with_plugin",
    "nmp306_fp4_with_fp8",
)

RULES: dict[str, Rule] = {}
for _name in _MODULES:
    _rule = importlib.import_module(f"migrate.lint.rules.{_name}").RULE
    if _rule.code in RULES or not _name.startswith(_rule.code.lower()):
        raise RuntimeError(f"rule module {_name} does not match its code {_rule.code}")
    RULES[_rule.code] = _rule
UNUSED_NOQA = "NMP001"
UNREADABLE_INPUT = "NMP002"


def find_rule(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    if key.upper() in RULES:
        return RULES[key.upper()]
    for rule in RULES.values():
        if rule.name == key.lower():
            return rule
    return None


def rules_for(kind: str) -> list[Rule]:
    return [rule for rule in RULES.values() if rule.kind == kind]
