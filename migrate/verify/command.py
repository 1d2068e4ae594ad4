"""The `verify` command's flow and exit status, kept out of cli.py so the CLI block stays small.

Exit status (verdict.py): 0 equivalent (AutoModel: within the approximate tolerance), 1 not
equivalent (or outside it), 2 bad input, 3 numeric check required (--require-gpu) but no CUDA
device / Transformer Engine (AutoModel: or torchao) / not enough GPUs for --gpus here, 4 the
numeric check failed while running (never a pass), 5 differs within tolerance (what NeMo 2.0
cannot express, e.g. O1, moves training less than the documented tolerance).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

from migrate.convert import ConvertOptions
from migrate.errors import InputError
from migrate.report import error_line
from migrate.verify.verdict import (  # noqa: F401 - the statuses are part of this module's interface
    BAD_INPUT,
    CHECK_FAILED,
    EQUIVALENT,
    NO_GPU,
    NOT_EQUIVALENT,
    WITHIN_TOLERANCE,
    exit_status,
)


@dataclass(frozen=True)
class VerifyRequest:
    yaml_path: str
    options: ConvertOptions
    python_path: str | None = None
    steps: int = 10
    numeric: bool = True
    require_gpu: bool = False
    benchmark: bool = False
    strict: bool = False
    json_path: str | None = None
    plot_path: str | None = None
    gpus: int = 1
    quiet: bool = False
    legacy_path: str | None = None  # --legacy: a record written by `snapshot`


@dataclass(frozen=True)
class VerifyArguments:
    """The command line of `verify`, None where an option was not given (settings may then decide)."""

    yaml_path: str
    python_path: str | None = None
    both_given: bool = False
    target: str = "nemo2"
    steps: int = 10
    json_path: str | None = None
    plot_path: str | None = None
    require_gpu: bool = False
    gpus: int = 1
    numeric: bool = True
    benchmark: bool = False
    strict: bool = False
    set_values: tuple[str, ...] = ()
    env_values: tuple[str, ...] = ()
    target_nemo: str | None = None
    nemo1_version: str | None = None
    trainer_builder: str | None = None
    run: str | None = None
    config: tuple[str, ...] = ()
    show_settings: bool = False
    quiet: bool = False
    verbose: bool = False
    color: str = "auto"
    environ: dict = field(default_factory=lambda: dict(os.environ))
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    legacy_path: str | None = None


def run_verify_command(arguments: VerifyArguments) -> int:
    """Settings resolved like convert's (the same [tool.nemo-migrate]), then the check."""
    from rich.console import Console

    from migrate.command_settings import resolve_command_settings
    from migrate.usage import UsageError

    if arguments.both_given:
        raise UsageError("use either --generated or --script", "--generated")
    if not arguments.numeric and (arguments.require_gpu or arguments.benchmark or arguments.gpus > 1):
        raise UsageError("--no-numeric contradicts --require-gpu/--benchmark/--gpus", "--no-numeric")
    if arguments.gpus > 1 and arguments.target == "automodel":
        raise UsageError("the approximate AutoModel check runs on one GPU", "--gpus")
    settings = resolve_command_settings(arguments, "verify")
    if arguments.show_settings:
        print(settings.describe())
        return 0
    request = VerifyRequest(
        arguments.yaml_path, settings.options_for(arguments.yaml_path), arguments.python_path, arguments.steps,
        arguments.numeric, arguments.require_gpu, arguments.benchmark, arguments.strict, arguments.json_path,
        arguments.plot_path, gpus=arguments.gpus, quiet=arguments.quiet, legacy_path=arguments.legacy_path,
    )
    width = None if sys.stdout.isatty() else 160
    return run_verify(request, Console(no_color=not settings.color, force_terminal=True if arguments.color == "always" else None,
                                       width=width))


def _failure(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _numeric(request: VerifyRequest, result) -> tuple[bool, str | None]:
    """Run the numeric check into `result`; returns (machine_missing, skipped reason)."""
    from migrate.verify import numeric
    from migrate.verify.check import numeric_runnable

    if request.benchmark:
        # Time the layer as NeMo runs it: TE's default torch.compile'd fused ops (the numeric
        # check otherwise turns them off to save compile time; both sides alike).
        os.environ.setdefault("NVTE_TORCH_COMPILE", "1")
    mark = time.perf_counter()
    reason = numeric.unavailable_reason(request.gpus) if request.gpus > 1 else numeric.unavailable_reason()
    if reason is None and result.approximate:
        from migrate.verify import torchao_numeric

        reason = torchao_numeric.unavailable_reason()
    result.timings["import torch+TE"] = time.perf_counter() - mark
    if reason is not None:
        return True, reason
    reason = numeric_runnable(result)
    if reason is not None:
        return False, reason
    mark = time.perf_counter()
    try:
        unsupported = numeric.recipe_unsupported(result.legacy_run, result.migrated_run)
        if unsupported is not None:
            return True, unsupported
        if result.approximate:
            from migrate.verify import torchao_numeric

            result.numeric = torchao_numeric.run_approximate(result.legacy_run, result.torchao_recipe, request.steps)
        elif request.gpus > 1:
            result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, request.steps, gpus=request.gpus)
        else:
            result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, request.steps)
    except Exception as error:  # noqa: BLE001 - any failure (CUDA, TE, a dead rank) must not read as a pass
        result.numeric = None
        result.numeric_failed = _failure(error)
    result.timings["numeric"] = time.perf_counter() - mark
    if result.numeric_failed is None and request.benchmark and not result.approximate:
        from migrate.verify.benchmark import run_benchmark

        mark = time.perf_counter()
        try:
            result.benchmark = run_benchmark(result.migrated_run)
        except Exception as error:  # noqa: BLE001 - the benchmark is extra; its failure is reported
            print(f"--benchmark failed: {_failure(error)}", file=sys.stderr)
        result.timings["benchmark"] = time.perf_counter() - mark
    return False, None


def _legacy_record(request: VerifyRequest):
    """The --legacy record (checked against this YAML and these options) and the options verify then
    uses: an unset --nemo1-version or --trainer-builder takes the record's, so convert writes the
    migrated side for the run the record describes."""
    from dataclasses import replace

    from migrate.verify.legacy_record import check_matches, check_release, read_record

    if request.legacy_path is None:
        return None, request.options
    record = read_record(request.legacy_path)
    options = request.options
    sets = tuple(o.text for o in options.overrides)
    check_matches(record, request.yaml_path, sets, options.trainer_builder, options.run)
    if options.nemo1_version_from == "default":
        options = replace(options, nemo1_version=record.nemo1_version, nemo1_version_from=f"the record {request.legacy_path}")
    else:
        check_release(record, options.nemo1_version)
    if options.trainer_builder is None:
        options = replace(options, trainer_builder=record.trainer_builder)
    return record, options


def run_verify(request: VerifyRequest, console) -> int:
    from migrate.verify.check import structural_check

    started = time.perf_counter()
    try:
        record, options = _legacy_record(request)
        result = structural_check(request.yaml_path, options, request.python_path, request.strict, record)
    except InputError as error:
        print(error_line(error), file=sys.stderr)
        return BAD_INPUT
    except RecursionError:
        print(f"{request.yaml_path}: nested too deeply", file=sys.stderr)
        return BAD_INPUT

    result.timings["structural"] = time.perf_counter() - started
    machine_missing = False
    if not request.numeric:
        result.numeric_skipped = "--no-numeric"
    else:
        machine_missing, result.numeric_skipped = _numeric(request, result)

    from migrate.verify.report import print_report, write_json, write_plot

    result.timings["total"] = time.perf_counter() - started

    if request.json_path == "-":  # stdout carries the JSON alone; the human report goes to stderr
        from rich.console import Console

        console = Console(stderr=True, no_color=console.no_color, width=console.width)
    if request.quiet:
        from migrate.verify.report import verdict_line

        print(verdict_line(result))
    else:
        print_report(result, console)
    if request.benchmark and result.benchmark is None:
        why = result.numeric_skipped or result.numeric_failed or "the approximate check has no benchmark"
        print(f"--benchmark: not run: {why}", file=sys.stderr)
    status = exit_status(result.outcome, failed=result.numeric_failed is not None, machine_missing=machine_missing,
                         require_gpu=request.require_gpu)
    if status == CHECK_FAILED:
        print(f"the numeric check failed, so verify could not finish (exit {CHECK_FAILED}): {result.numeric_failed}", file=sys.stderr)
    elif status == NO_GPU:
        print(f"--require-gpu: the numeric check cannot run here: {result.numeric_skipped}", file=sys.stderr)
    if request.json_path:
        try:
            write_json(result, status, request.json_path)
        except InputError as error:
            print(error_line(error), file=sys.stderr)
            return BAD_INPUT
    if request.plot_path:
        if result.numeric is None:
            print(f"{request.plot_path}: not written: the plot needs the numeric check, which did not run", file=sys.stderr)
        elif result.approximate:
            print(f"{request.plot_path}: not written: the approximate check has no plot (see --json)", file=sys.stderr)
        else:
            try:
                write_plot(result, request.plot_path)
            except ImportError:
                print(f"{request.plot_path}: not written: matplotlib is missing (pip install 'nemo-migrate[plot]')", file=sys.stderr)
    return status
