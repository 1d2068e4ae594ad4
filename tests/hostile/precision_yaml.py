"""Random NeMo 1.0 YAML around every precision key, and what every command must do with it.

`documents()` is a hypothesis strategy for YAML text: the keys NeMo 1.0 reads (trainer, model,
optimizer, the `megatron_amp_02` typo, a root `precision`), each absent or given a value that is
realistic, of the wrong type, huge, NaN or infinite, a string with quotes, newlines or control
characters, an interpolation, a list or a mapping. `outcomes()` runs convert (targets nemo2,
bridge, automodel), lint and verify --no-numeric on one document in-process and returns what went
wrong; `stub_imports()` are the stand-ins the generated modules are executed against, and
Documents that once crashed every command are kept as regression cases (FORMER_FAILURES).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

from migrate.cli import app
from migrate.legacy.layout import MODEL_PRECISION_KEYS
from migrate.verify.bridge_recipes import FIELD_NAMES, RECIPES
from migrate.verify.nemo2_signatures import PARAMETERS

TARGETS = ("nemo2", "bridge", "automodel")
KEYS = (
    ("trainer", "precision"),
    ("trainer", "gradient_clip_val"),
    *(("model", name) for name in sorted(MODEL_PRECISION_KEYS)),
    ("model", "megatron_amp_02"),
    ("model", "mcore_distributed_optim"),
    ("model", "optim", "name"),
    ("model", "optim", "dtype"),
    ("model", "optim", "grad_sync_dtype"),
)
REALISTIC = {
    "precision": ("bf16", "bf16-mixed", "16", "16-mixed", "32", "fp16", "bf16-true", "64", "16-true", "fp32", "bf-16"),
    "fp8_recipe": ("delayed", "tensorwise", "blockwise", "mxfp8", "current"),
    "fp8_amax_compute_algo": ("max", "most_recent", "mean"),
    "name": ("distributed_fused_adam", "fused_adam", "adam", "adamw", "mcore_distributed_optim", "sgd"),
    "dtype": ("fp32", "bf16", "fp16", "float32", "bfloat16", "torch.float32"),
    "grad_sync_dtype": ("fp32", "bf16", "fp16", "float32", "bfloat16"),
}
INTERPOLATIONS = (
    "${trainer.precision}", "${model.precision}", "${oc.env:PRECISION,bf16}", "${oc.env:FP8}",
    "${oc.decode:${oc.env:FP8,False}}", "${oc.decode:'[1, 2]'}", "${model.missing}", "'???'", "???",
    "${oc.select:model.fp8,False}", "${now:}", "${..fp8}", "${}", "${oc.env:X,${oc.env:Y,1}}",
)


def _yaml_float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
_ANY_TEXT = st.text(max_size=12)

deep_decodes = st.one_of(st.integers(1, 5), st.sampled_from((150, 199, 200, 201, 260))).map(
    lambda depth: "${oc.decode:" * depth + "bf16" + "}" * depth
)
scalars = st.one_of(
    st.sampled_from(("True", "False", "true", "yes", "no", "on", "off", "null", "~", "''", "0", "1", "-1")),
    st.integers().map(str),
    st.integers(min_value=4280, max_value=4400).map(lambda digits: "9" * digits),  # past Python's int parsing limit
    st.floats(allow_nan=True, allow_infinity=True).map(_yaml_float),
    st.sampled_from(("0.0", "-0.0", "1e3", "1.0e+3", ".5", "1_000", "0x10", "0o17", "1:30")),
    _ANY_TEXT.map(json.dumps),  # double-quoted: quotes, newlines and control characters as escapes
    _PRINTABLE.map(_single_quoted),
    _PRINTABLE.filter(lambda s: s.strip() == s and s[:1].isalnum()),  # a plain scalar (may not parse)
    st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=3).map(lambda s: '"a' + s + 'b"'),  # raw control characters
    st.sampled_from(INTERPOLATIONS),
    deep_decodes,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(st.sampled_from(("a", "fp8", "precision", "x")), inner, max_size=2).map(
            lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items.items()) + "}"
        ),
    ),
    max_leaves=4,
)


def _value_for(key: tuple[str, ...]) -> st.SearchStrategy[str]:
    realistic = REALISTIC.get(key[-1])
    if realistic is None and key[-1].startswith(("fp8", "megatron_amp", "transformer", "mcore", "fsdp", "reduce")):
        realistic = ("True", "False", "'True'", "'False'", "1", "0")
    if realistic is None:
        realistic = ("0", "1", "1.0", "2", "1024", "16", "True", "False")
    choice = st.sampled_from(realistic)
    return st.one_of(choice, choice, choice, values, deep_decodes)  # mostly realistic, so that many convert


@st.composite
def documents(draw) -> str:
    """YAML text: a trainer and a model section (or a root model_config.yaml) with random precision keys."""
    chosen = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=9, unique=True))
    if draw(st.booleans()) and ("trainer", "precision") not in chosen:
        chosen.insert(0, ("trainer", "precision"))
    tree: dict = {}
    for key in chosen:
        node = tree
        for part in key[:-1]:
            node = node.setdefault(part, {})
        node[key[-1]] = draw(_value_for(key))
    if draw(st.booleans()) and "model" in tree and "trainer" not in tree:
        tree = tree["model"]  # a .nemo model_config.yaml: the model keys at the root
    lines: list[str] = []

    def emit(node: dict, depth: int) -> None:
        for name, value in node.items():
            if isinstance(value, dict):
                lines.append("  " * depth + f"{name}:")
                emit(value, depth + 1)
            else:
                lines.append("  " * depth + f"{name}: {value}")

    emit(tree, 0)
    return "\n".join(lines) + "\n"


# -- executing generated modules against stand-ins -------------------------------------------------


class GeneratedCodeError(Exception):
    """A generated module that does not run: what it raised."""


def _stub_class(name: str, accepted: tuple[str, ...]):
    def __init__(self, *args, **kwargs) -> None:
        unknown = sorted(set(kwargs) - set(accepted))
        if unknown:
            raise TypeError(f"{name}() got unexpected keyword arguments {unknown}")
        if len(args) > 1 or (args and "precision" in kwargs):
            raise TypeError(f"{name}() takes one positional argument")
        self.kwargs = kwargs

    return type(name, (), {"__init__": __init__})


def stub_imports(target_nemo: str = "2.5") -> dict[str, types.ModuleType]:
    """Modules the generated code may import: torch dtypes, NeMo's plugin, Bridge's config, math."""
    torch = types.ModuleType("torch")
    for dtype in ("float32", "float16", "bfloat16", "half", "float", "float64"):
        setattr(torch, dtype, f"torch.{dtype}")
    nemo, lightning = types.ModuleType("nemo"), types.ModuleType("nemo.lightning")
    lightning.MegatronMixedPrecision = _stub_class("MegatronMixedPrecision", tuple(n for n, _ in PARAMETERS[target_nemo]))
    nemo.lightning = lightning
    megatron = types.ModuleType("megatron")
    bridge = types.ModuleType("megatron.bridge")
    training = types.ModuleType("megatron.bridge.training")
    mixed = types.ModuleType("megatron.bridge.training.mixed_precision")
    mixed.MixedPrecisionConfig = _stub_class("MixedPrecisionConfig", FIELD_NAMES)
    mixed.get_mixed_precision_config = lambda name: RECIPES[name]
    megatron.bridge, bridge.training, training.mixed_precision = bridge, training, mixed
    return {
        "math": math,  # real: a non-finite value may be written as math.inf
        "torch": torch, "nemo": nemo, "nemo.lightning": lightning, "megatron": megatron,
        "megatron.bridge": bridge, "megatron.bridge.training": training, "megatron.bridge.training.mixed_precision": mixed,
    }


def run_generated(code: str, target: str, target_nemo: str = "2.5") -> dict:
    """Execute one generated module in a namespace whose builtins are an import of the stand-ins,
    `float` and `int`."""
    modules = stub_imports(target_nemo)

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if level or name not in modules:
            raise ImportError(f"generated code imports {name!r}")
        return modules[name] if fromlist else modules[name.partition(".")[0]]

    builtins = {"__import__": _import, "float": float, "int": int}  # float("inf") is a value too
    namespace: dict = {"__builtins__": builtins, "__name__": "generated"}
    try:
        exec(compile(code, "<generated>", "exec"), namespace)  # the project's own output, against stubs
    except Exception as error:
        raise GeneratedCodeError(f"{type(error).__name__}: {error}") from None
    bound = "plugin" if target == "nemo2" else "mixed_precision"
    if bound not in namespace:
        raise GeneratedCodeError(f"the module binds no {bound!r}")
    value = namespace[bound]
    if isinstance(value, str) and value not in RECIPES:
        raise GeneratedCodeError(f"{bound} = {value!r} is not a registered recipe")
    overrides = namespace.get("optimizer_config_overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, (int, float, bool)) for v in overrides.values()):
        raise GeneratedCodeError(f"optimizer_config_overrides is not a dict of numbers: {overrides!r}")
    return namespace


# -- running the commands -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One thing a command did wrong on a document; `kind` names the property it broke."""

    command: str
    kind: str
    detail: str


ALLOWED_EXIT = {"convert": {0, 2}, "lint": {0, 1, 2}, "verify": {0, 1, 2}}
COMMANDS = (
    *((f"convert --target {t}", ["convert", "config.yaml", "--target", t]) for t in TARGETS),
    ("lint", ["lint", "config.yaml", "--output-format", "json"]),
    ("verify", ["verify", "config.yaml", "--no-numeric"]),
)


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    crash: BaseException | None = None  # an exception that escaped the command: a traceback


def run_cli(args: list[str]) -> Run:
    """The command through typer, as `nemo-migrate ARGS` runs it (in-process)."""
    result = CliRunner().invoke(app, args)
    crash = result.exception if result.exception is not None and not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.stdout, result.stderr, crash)


def run_direct(args: list[str]) -> Run:
    """The same command through the functions behind the CLI, without typer's per-call argument
    handling (about 20 ms a call): what makes a few hundred examples affordable in CI."""
    out, err = io.StringIO(), io.StringIO()
    code, crash = 0, None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = _DIRECT[args[0]](args)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        except Exception as error:  # noqa: BLE001 - the property under test
            crash = error
    return Run(code, out.getvalue(), err.getvalue(), crash)


def _convert(args: list[str]) -> int:
    from migrate.convert import ConvertOptions, convert_path
    from migrate.report import print_findings

    result = convert_path(args[1], ConvertOptions(target=args[3]))
    if result.status == "failed":
        print(result.message, file=sys.stderr)
        return 2
    if result.status == "converted":
        print_findings(result.path, result.findings, True)
        sys.stdout.write(result.output)
    return 0


def _lint(args: list[str]) -> int:
    from migrate.lint.fastcli import main

    return main(args[1:])


def _verify(args: list[str]) -> int:
    from rich.console import Console

    from migrate.convert import ConvertOptions
    from migrate.verify.command import VerifyRequest, run_verify

    return run_verify(VerifyRequest(args[1], ConvertOptions(), numeric=False), Console(file=sys.stdout, width=160))


_DIRECT = {"convert": _convert, "lint": _lint, "verify": _verify}


def outcomes(text: str, folder: Path, run=run_direct) -> list[Outcome]:
    """Run every command on `text` (written to folder/config.yaml); the properties each one broke."""
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    found: list[Outcome] = []
    previous = os.getcwd()
    os.chdir(folder)
    try:
        for name, args in COMMANDS:
            first = run(args)
            if first.crash is not None:
                found.append(Outcome(name, "traceback", f"{type(first.crash).__name__}: {first.crash}"))
                continue
            if first.code not in ALLOWED_EXIT[args[0]]:
                found.append(Outcome(name, "exit", str(first.code)))
            if args[0] == "lint":
                try:
                    json.loads(first.stdout)
                except ValueError as error:
                    found.append(Outcome(name, "output", f"the JSON report does not load: {error}"))
            if args[0] != "convert":
                continue
            again = run(args)
            if (again.stdout, again.stderr, again.code) != (first.stdout, first.stderr, first.code):
                found.append(Outcome(name, "nondeterministic", "two runs of the same input differ"))
            if first.code == 0 and first.stdout:
                found.extend(_check_output(name, args[3], first.stdout))
    finally:
        os.chdir(previous)
    return found


def _check_output(command: str, target: str, output: str) -> list[Outcome]:
    if target == "automodel":
        try:
            blocks = yaml.safe_load(output)
        except yaml.YAMLError as error:
            return [Outcome(command, "output", f"YAML does not load: {' '.join(str(error).split())}")]
        return [] if isinstance(blocks, dict) else [Outcome(command, "output", f"YAML is a {type(blocks).__name__}")]
    try:
        run_generated(output, target)
    except SyntaxError as error:
        return [Outcome(command, "output", f"does not parse: {error}")]
    except GeneratedCodeError as error:
        return [Outcome(command, "runs", str(error))]
    return []


# -- documents that once crashed every command -----------------------------------------------------

_HUGE_INT = "9" * 4301
_DEEP_DECODE = "${oc.decode:" * 500 + "bf16" + "}" * 500  # 200 failed from the CLI; 500 at any stack depth

# Each made every command end in a traceback until the YAML reader refused it with a located line:
# an integer past Python's 4,300-digit limit (PyYAML's int constructor) and nested oc.decode
# resolvers (RecursionError out of OmegaConf).
FORMER_FAILURES = {
    "huge-int": f"model:\n  fp8_margin: {_HUGE_INT}\n",
    "deep-oc-decode": f"trainer:\n  precision: {_DEEP_DECODE}\n",
}
