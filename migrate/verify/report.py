"""Presenting a VerifyResult: a rich table on the terminal, a JSON document, a PNG plot."""

from __future__ import annotations

import json
import math
from typing import Any

from migrate.verify.check import VerifyResult
from migrate.verify.structural import DIFFERS, EQUAL, LIMITATION
from migrate.verify.traces import MAX_RELATIVE_ERROR, MIN_COSINE

_STATUS_STYLE = {EQUAL: "green", DIFFERS: "bold red", LIMITATION: "yellow", "approximate": "cyan"}
_TARGET_LABEL = {"nemo2": "NeMo 2.x", "bridge": "Bridge", "automodel": "AutoModel"}


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 65536:
        exponent = int(math.log2(value)) if value > 0 else 0
        return f"2**{exponent}" if value == 2.0**exponent else f"{value:g}"
    return str(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def to_json(result: VerifyResult, exit_status: int) -> dict[str, Any]:
    s = result.structural
    document: dict[str, Any] = {
        "yaml": result.yaml_path,
        "python": result.python_path,
        "target": result.target,
        "target_release": result.target_release,
        "verdict": _verdict_word(result),
        "exit_status": exit_status,
        "strict": result.strict,
        "structural": {
            "equivalent": s.equivalent(result.strict),
            "errors": list(s.errors),
            "rows": [vars(row).copy() for row in s.rows],
        },
        "runs": {"legacy": result.legacy_run.to_json(), "migrated": result.migrated_run.to_json()},
        "numeric": _approximate_json(result) if result.approximate else _numeric_json(result),
        "benchmark": _bench_json(result.benchmark),
        "timings_s": result.timings,
    }
    return _json_safe(document)


def _verdict_word(result: VerifyResult) -> str:
    if not result.approximate:
        return "equivalent" if result.equivalent else "not equivalent"
    if result.numeric is None:
        return "approximate (structural only)" if result.equivalent else "not equivalent"
    return "within tolerance" if result.equivalent else "outside tolerance"


def _approximate_json(result: VerifyResult) -> dict[str, Any]:
    from migrate.verify.approximate_report import approximate_json

    return approximate_json(result)


def _numeric_json(result: VerifyResult) -> dict[str, Any]:
    numeric = result.numeric
    if numeric is None:
        return {"ran": False, "skipped_reason": result.numeric_skipped}
    first = numeric.comparison.first_divergence
    losses = {label: run.losses for label, run in numeric.runs.items()}
    return {
        "ran": True,
        "steps": numeric.steps,
        "bitwise_equal": numeric.equal,
        "first_divergence": None if first is None else {"step": first.step, "quantities": list(first.differing), "max_abs": first.max_abs},
        "first_divergence_by_group": numeric.comparison.first_divergence_by_group(),
        "per_step": [
            {
                "step": step.step,
                "equal": step.equal,
                "max_abs": step.max_abs,
                "differing": list(step.differing),
                "loss": {label: values[step.step - 1] for label, values in losses.items() if len(values) >= step.step},
            }
            for step in numeric.comparison.steps
        ],
        "fp8_scales": {label: run.scales for label, run in numeric.runs.items()},
        "loss_scales": {label: run.loss_scales for label, run in numeric.runs.items()},
        "reference": {
            "thresholds": {"max_relative_error": MAX_RELATIVE_ERROR, "min_cosine": MIN_COSINE},
            "checks": [
                {"side": check.label, "relative_error": list(check.relative_error), "cosine": list(check.cosine),
                 "within_thresholds": check.within_thresholds}
                for check in numeric.references
            ],
        },
        "model": vars(numeric.shape).copy(),
        "wall_s": numeric.wall_s,
        "peak_memory_bytes": numeric.peak_memory_bytes,
        "environment": numeric.environment,
    }


def _bench_json(bench) -> dict[str, Any] | None:
    if bench is None:
        return None
    return {
        "device": bench.device,
        "shape": vars(bench.shape).copy(),
        "modes": [vars(mode).copy() for mode in bench.modes],
        "speedup_fp8": bench.speedup,
        "te_torch_compile": bench.torch_compile,
    }


def write_json(result: VerifyResult, exit_status: int, path: str) -> None:
    from migrate.atomic import write_atomic

    write_atomic(path, json.dumps(to_json(result, exit_status), indent=2) + "\n")


def print_report(result: VerifyResult, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    s = result.structural
    table = Table(title=escape(f"Structural check: {result.yaml_path} -> {result.python_path}"))
    migrated = result.target_release or _TARGET_LABEL.get(result.target, "NeMo 2.x")
    for column in ("setting", "NeMo 1.0", migrated, "status"):
        table.add_column(column, no_wrap=column != "setting")
    table.add_column("why", overflow="fold", ratio=1)
    for row in s.rows:
        style = _STATUS_STYLE.get(row.status, "dim")
        if row.status == EQUAL:
            why = row.legacy_why
        else:
            why = f"legacy: {row.legacy_why}\nmigrated: {row.migrated_why}" + (f"\n{row.note}" if row.note else "")
        table.add_row(row.label, escape(_show(row.legacy)), escape(_show(row.migrated)), f"[{style}]{row.status}[/]", escape(why))
    console.print(table)
    for error in s.errors:
        console.print(f"[bold red]migrated plugin error:[/] {escape(error)}")
    if s.limitations:
        console.print(f"[yellow]{len(s.limitations)} known NeMo 2.0 limitation(s): reported, not counted" + (" (--strict counts them)" if not result.strict else " (counted: --strict)") + "[/]")
    if result.approximate:
        from migrate.verify.approximate_report import print_approximate, verdict

        if result.numeric is None:
            console.print(f"[yellow]Only the structural check ran: the approximate numeric check was skipped ({escape(str(result.numeric_skipped))}).[/]")
        else:
            print_approximate(result, console)
        console.print(verdict(result))
        return
    _print_numeric(result, console, escape)
    _print_bench(result.benchmark, console)
    verdict = "[bold green]EQUIVALENT[/]" if result.equivalent else "[bold red]NOT EQUIVALENT[/]"
    scope = "structural and numeric check" if result.numeric is not None else "structural check only"
    console.print(f"{verdict} ({scope})")


def _print_numeric(result: VerifyResult, console, escape) -> None:
    from rich.table import Table

    numeric = result.numeric
    if numeric is None:
        console.print(f"[yellow]Only the structural check ran: the numeric check was skipped ({escape(str(result.numeric_skipped))}).[/]")
        return
    legacy, migrated = numeric.runs["legacy"], numeric.runs["migrated"]
    table = Table(title=f"Numeric check: {numeric.steps} steps on {numeric.environment.get('device', 'GPU')}")
    for column in ("step", "loss legacy", "loss migrated", "max|d output|", "max|d grad|", "FP8 scales", "bitwise"):
        table.add_column(column, justify="right")
    for step in numeric.comparison.steps:
        i = step.step - 1
        scales = "equal" if not any(name.startswith("scale.") for name in step.differing) else "[red]differ[/]"
        if not legacy.scales and not migrated.scales:
            scales = "-"
        table.add_row(
            str(step.step),
            f"{legacy.losses[i]:.6g}" if i < len(legacy.losses) else "-",
            f"{migrated.losses[i]:.6g}" if i < len(migrated.losses) else "-",
            f"{step.max_abs.get('output', 0.0):.3g}",
            f"{step.max_abs.get('grad', 0.0):.3g}",
            scales,
            "[green]equal[/]" if step.equal else "[red]differ[/]",
        )
    console.print(table)
    first = numeric.comparison.first_divergence
    if first is None:
        console.print(f"[green]outputs, loss, gradients and FP8 scaling factors bitwise equal at all {numeric.steps} steps[/]")
    else:
        names = ", ".join(first.differing[:6]) + (" ..." if len(first.differing) > 6 else "")
        console.print(f"[bold red]numerics diverge at step {first.step}[/] ({escape(names)})")
        groups = ", ".join(f"{group} at step {step}" for group, step in sorted(numeric.comparison.first_divergence_by_group().items(), key=lambda item: item[1]))
        console.print(f"first difference per quantity: {groups}")
    for check in numeric.references:
        mark = "[green]within[/]" if check.within_thresholds else "[red]outside[/]"
        console.print(
            f"FP8 vs no-FP8 reference ({check.label}): worst relative error {check.worst_relative_error:.4f}, "
            f"worst cosine {check.worst_cosine:.5f}: {mark} thresholds (rel <= {MAX_RELATIVE_ERROR}, cos >= {MIN_COSINE})"
        )
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    console.print(f"numeric check: {numeric.wall_s:.1f} s, peak GPU memory {numeric.peak_memory_bytes / 2**20:.0f} MiB ({timings})")


def _print_bench(bench, console) -> None:
    if bench is None:
        return
    from rich.table import Table

    table = Table(title=f"Benchmark: LayerNormMLP({bench.shape.hidden}, {bench.shape.ffn}) + Linear, {bench.shape.tokens} tokens, fwd+bwd on {bench.device}" + ("" if bench.torch_compile else " (TE fused ops not compiled)"))
    for column in ("mode", "median ms", "TFLOP/s", "peak MiB"):
        table.add_column(column, justify="right")
    for mode in bench.modes:
        table.add_row(mode.label, f"{mode.median_ms:.3f}", f"{mode.tflops:.0f}", f"{mode.peak_memory_bytes / 2**20:.0f}")
    console.print(table)
    if bench.speedup is not None:
        console.print(f"FP8 speed-up over {bench.modes[-1].label}: {bench.speedup:.2f}x")


def write_plot(result: VerifyResult, path: str) -> None:
    """Per-step difference (top) and FP8 scale history of both sides (bottom). Needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    numeric = result.numeric
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), constrained_layout=True)
    steps = [step.step for step in numeric.comparison.steps]
    for group in ("output", "grad", "loss", "scale"):
        values = [step.max_abs.get(group) for step in numeric.comparison.steps]
        if any(v is not None for v in values):
            top.plot(steps, [v if v is not None and math.isfinite(v) else float("nan") for v in values], marker="o", label=group)
    top.set_yscale("symlog", linthresh=1e-6)
    top.set_xlabel("step")
    top.set_ylabel("max |legacy - migrated|")
    first = numeric.comparison.first_divergence
    top.set_title("bitwise equal at every step" if first is None else f"first divergence at step {first.step}")
    top.legend()
    for label, style in (("legacy", "-"), ("migrated", "--")):
        run = numeric.runs[label]
        for name, history in sorted(run.scales.items()):
            bottom.plot(range(1, len(history) + 1), [values[0] for values in history], style, marker=".", label=f"{label} {name}[0]")
    bottom.set_xlabel("step")
    bottom.set_ylabel("FP8 scale (first quantizer)")
    if bottom.lines:
        bottom.set_yscale("log")
        bottom.set_title("FP8 scaling factors after each step")
        bottom.legend(fontsize="small")
    else:
        bottom.set_title("no FP8 scaling factors: FP8 is off on both sides")
    _save_atomic(fig, path)
    plt.close(fig)


def _save_atomic(fig, path: str) -> None:
    import os
    import tempfile
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".png", dir=target.parent)
    os.close(fd)
    try:
        fig.savefig(temp, dpi=110, format="png")
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
