"""Property: no YAML around the precision keys makes a command crash, hang on to a wrong exit status,
emit code that does not run or YAML that does not load, or answer differently twice.

Bounded for CI (a few hundred derandomized examples); `python bench/bench_properties.py` runs the
same checks on many more and reports examples per second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from precision_yaml import (
    ALLOWED_EXIT,
    COMMANDS,
    FORMER_FAILURES,
    documents,
    outcomes,
    run_cli,
    run_direct,
    run_generated,
)

ROOT = Path(__file__).resolve().parents[2]
CI_EXAMPLES = 300


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


@settings(max_examples=CI_EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=documents())
def test_every_command_handles_any_precision_yaml(folder: Path, text: str) -> None:
    problems = outcomes(text, folder)
    assert not problems, "\n".join(f"{o.command}: {o.kind}: {o.detail}" for o in problems)


@settings(max_examples=12, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=documents())
def test_the_direct_runs_answer_like_the_cli(folder: Path, text: str) -> None:
    """The property above calls the functions behind the CLI; typer's own path gives the same answers."""
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    previous = os.getcwd()
    os.chdir(folder)
    try:
        for _, args in COMMANDS:
            cli, direct = run_cli(args), run_direct(args)
            if cli.crash is not None or direct.crash is not None:
                assert (cli.crash is None) == (direct.crash is None)
                continue
            assert cli.code == direct.code, args
            if args[0] == "convert":
                assert cli.stdout == direct.stdout, args
    finally:
        os.chdir(previous)


SUBPROCESS_SAMPLE = (
    "trainer:\n  precision: \"bf\\u0000\\n16\"\nmodel:\n  fp8: [1, {a: ${oc.env:X}}]\n",
    "trainer:\n  precision: 16\n  gradient_clip_val: .nan\nmodel:\n  megatron_amp_O2: True\n  native_amp_init_scale: -.inf\n",
    "model:\n  precision: ${oc.decode:${oc.decode:'bf16'}}\n  fp8: True\n  fp8_hybrid: True\n  fp8_amax_history_len: 1e400\n",
    "trainer:\n  precision: '\u2028bf16'\nmodel:\n  optim:\n    name: distributed_fused_adam\n    grad_sync_dtype: ${trainer}\n",
    "precision: bf16\nmegatron_amp_O2: {fp8: [[[[[]]]]]}\nfp8_recipe: \"\\x1b[31mdelayed\"\n",
)


def test_a_real_process_survives_hostile_yaml(tmp_path: Path) -> None:
    """What an in-process run cannot see: a crash that takes the interpreter down. Every command on
    every sample document, in new processes (convert and lint take all of them at once)."""
    names = []
    for number, text in enumerate(SUBPROCESS_SAMPLE):
        names.append(f"sample{number}.yaml")
        (tmp_path / names[-1]).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    runs = [[*args[:1], *names, *args[2:]] for _, args in COMMANDS if args[0] != "verify"]
    runs += [["verify", name, "--no-numeric"] for name in names[:2]]
    for args in runs:
        done = subprocess.run([sys.executable, "-m", "migrate.entry", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode in ALLOWED_EXIT[args[0]], (args, done.returncode, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, (args, done.stderr[-2000:])
        if args[0] != "verify":  # every input was handled: each one is named on stderr or stdout
            assert all(name in done.stderr + done.stdout for name in names), args


@pytest.mark.parametrize("name", sorted(FORMER_FAILURES))
def test_documents_that_once_crashed_every_command_now_do_not(folder: Path, name: str) -> None:
    assert outcomes(FORMER_FAILURES[name], folder) == []


def test_the_stubs_reject_what_real_code_would() -> None:
    """The executed-against-stubs check can fail: a wrong keyword, a bare name, a foreign import."""
    good = "import torch\nfrom nemo import lightning as nl\n\nplugin = nl.MegatronMixedPrecision(precision='bf16-mixed', params_dtype=torch.bfloat16)\n"
    run_generated(good, "nemo2")
    from precision_yaml import GeneratedCodeError

    for bad in (
        good.replace("params_dtype", "param_dtype"),
        good + "optimizer_config_overrides = {'clip_grad': inf}\n",
        "import os\n" + good,
        good.replace("plugin =", "other ="),
    ):
        with pytest.raises(GeneratedCodeError):
            run_generated(bad, "nemo2")
    bridge = "from megatron.bridge.training.mixed_precision import MixedPrecisionConfig\n\nmixed_precision = MixedPrecisionConfig(bf16=True)\n"
    run_generated(bridge, "bridge")
    with pytest.raises(GeneratedCodeError):
        run_generated("mixed_precision = 'no_such_recipe'\n", "bridge")
