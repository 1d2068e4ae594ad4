"""The `verify` command's flow and exit status, kept out of cli.py so the CLI block stays small.

Exit status: 0 equivalent (AutoModel: within the approximate tolerance), 1 not equivalent (or outside
it), 2 bad input, 3 numeric check required (--require-gpu) but no CUDA device / Transformer Engine
(AutoModel: or torchao) here.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from migrate.convert import ConvertOptions
from migrate.errors import InputError

EQUIVALENT, NOT_EQUIVALENT, BAD_INPUT, NO_GPU = 0, 1, 2, 3


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


def run_verify(request: VerifyRequest, console) -> int:
    from migrate.verify.check import numeric_runnable, structural_check

    started = time.perf_counter()
    try:
        result = structural_check(request.yaml_path, request.options, request.python_path, request.strict)
    except InputError as error:
        print(str(error), file=sys.stderr)
        return BAD_INPUT
    except RecursionError:
        print(f"{request.yaml_path}: nested too deeply", file=sys.stderr)
        return BAD_INPUT

    result.timings["structural"] = time.perf_counter() - started
    machine_missing = False
    if not request.numeric:
        result.numeric_skipped = "--no-numeric"
    else:
        from migrate.verify import numeric

        if request.benchmark:
            # Time the layer as NeMo runs it: TE's default torch.compile'd fused ops (the numeric
            # check otherwise turns them off to save compile time; both sides alike).
            os.environ.setdefault("NVTE_TORCH_COMPILE", "1")
        mark = time.perf_counter()
        reason = numeric.unavailable_reason()
        if reason is None and result.approximate:
            from migrate.verify import torchao_numeric

            reason = torchao_numeric.unavailable_reason()
        result.timings["import torch+TE"] = time.perf_counter() - mark
        machine_missing = reason is not None
        reason = reason or numeric_runnable(result) or numeric.recipe_unsupported(result.legacy_run, result.migrated_run)
        if reason is None:
            mark = time.perf_counter()
            try:
                if result.approximate:
                    result.numeric = torchao_numeric.run_approximate(result.legacy_run, result.torchao_recipe, request.steps)
                else:
                    result.numeric = numeric.run_numeric(result.legacy_run, result.migrated_run, request.steps)
            except RuntimeError as error:  # CUDA / TE failures (out of memory, unsupported kernel, ...)
                reason, machine_missing = f"it failed on this machine: {type(error).__name__}: {error}", True
            result.timings["numeric"] = time.perf_counter() - mark
        if reason is None and request.benchmark and not result.approximate:
            from migrate.verify.benchmark import run_benchmark

            mark = time.perf_counter()
            try:
                result.benchmark = run_benchmark(result.migrated_run)
            except RuntimeError as error:
                print(f"--benchmark failed: {type(error).__name__}: {error}", file=sys.stderr)
            result.timings["benchmark"] = time.perf_counter() - mark
        result.numeric_skipped = reason

    from migrate.verify.report import print_report, write_json, write_plot

    result.timings["total"] = time.perf_counter() - started

    print_report(result, console)
    if machine_missing and request.require_gpu:
        print(f"--require-gpu: the numeric check cannot run here: {result.numeric_skipped}", file=sys.stderr)
        status = NO_GPU
    else:
        status = EQUIVALENT if result.equivalent else NOT_EQUIVALENT
    if request.json_path:
        try:
            write_json(result, status, request.json_path)
        except InputError as error:
            print(str(error), file=sys.stderr)
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
