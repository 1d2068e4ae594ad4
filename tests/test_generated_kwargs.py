"""Parse generated modules back and check the arguments they pass, per target release."""

from __future__ import annotations

import pytest
from cli_helpers import ROOT, fixture_args, run_cli

from migrate.nemo2.calls import find_calls, parse_python
from migrate.target_api.nemo2 import SIGNATURES

FIXTURES = ROOT / "fixtures" / "convert"


def plugin_kwargs(name: str, *extra: str) -> dict:
    case = FIXTURES / f"{name}.yaml"
    result = run_cli(["convert", case.relative_to(ROOT).as_posix(), *fixture_args(case), *extra])
    assert result.code == 0, result.stderr
    calls = find_calls(parse_python(result.stdout, "generated.py"))
    assert len(calls) == 1
    return calls[0].kwargs


def test_defaults_trap_history_and_algo_written_although_yaml_never_set_them() -> None:
    kwargs = plugin_kwargs("legacy_fp8_absent_history")
    assert kwargs["fp8"] == "hybrid"
    assert kwargs["fp8_amax_history_len"] == 1024
    assert kwargs["fp8_amax_compute_algo"] == "max"


def test_nemo_1_21_legacy_defaults_equal_nemo2_defaults_so_nothing_extra_is_written() -> None:
    kwargs = plugin_kwargs("legacy_fp8_absent_history_v121")
    assert "fp8_amax_history_len" not in kwargs and "fp8_amax_compute_algo" not in kwargs


def test_mcore_path_uses_megatron_core_defaults() -> None:
    kwargs = plugin_kwargs("bf16_o2_mcore_fp8_hybrid")
    assert kwargs == {
        "precision": "bf16-mixed",
        "params_dtype": "torch.bfloat16",
        "grad_reduce_in_fp32": False,
        "fp8": "hybrid",
    }


def test_fp8_is_always_a_string_and_e4m3_wins() -> None:
    assert plugin_kwargs("fp8_e4m3_every_key")["fp8"] == "e4m3"


@pytest.mark.parametrize(
    "target,argument",
    [("2.0", "fp8_params"), ("2.2", "fp8_params"), ("2.3", "fp8_param_gather"), ("2.5", "fp8_param_gather")],
)
def test_fp8_weights_argument_follows_target(target: str, argument: str) -> None:
    kwargs = plugin_kwargs("fp8_e4m3_every_key", "--target-nemo", target)
    assert kwargs[argument] is True
    other = {"fp8_params", "fp8_param_gather"} - {argument}
    assert not other & set(kwargs)


def test_fp16_keeps_pipeline_dtype_and_scaler_settings() -> None:
    kwargs = plugin_kwargs("fp16_o1_loss_scaling")
    assert kwargs["precision"] == "16-mixed"
    assert kwargs["pipeline_dtype"] == "torch.float16"
    assert (
        kwargs["fp16_initial_loss_scale"],
        kwargs["fp16_loss_scale_window"],
        kwargs["fp16_hysteresis"],
    ) == (65536, 500, 4)


def test_env_values_from_the_command_line_are_used() -> None:
    assert "fp8" not in plugin_kwargs("env_fp8")
    kwargs = plugin_kwargs("env_fp8_given")
    assert kwargs["fp8"] == "hybrid" and kwargs["fp8_amax_compute_algo"] == "max"


CONVERTIBLE = sorted(p for p in FIXTURES.glob("*.yaml") if not p.stem.startswith(("err_", "skip_")))


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_never_emits_an_argument_the_target_does_not_accept(target: str) -> None:
    for case in CONVERTIBLE:
        args = [a for a in fixture_args(case)]
        if "--target-nemo" in args:
            index = args.index("--target-nemo")
            del args[index : index + 2]
        result = run_cli(["convert", case.relative_to(ROOT).as_posix(), *args, "--target-nemo", target])
        if result.code == 2:
            assert "choose a newer --target-nemo" in result.stderr, (case.name, result.stderr)
            continue
        for call in find_calls(parse_python(result.stdout, case.name)):
            assert set(call.kwargs) <= set(SIGNATURES[target]), (case.name, target)
