"""Presenting a VerifyResult: a rich table on the terminal, a JSON document, a PNG plot."""

from __future__ import annotations

import json
import sys
import math
from typing import Any

from migrate.verify.check import VerifyResult
from migrate.verify.report_codes import APPROXIMATE, SEVERITY, codes, json_fields, row_finding
from migrate.verify.structural import DIFFERS, EQUAL, LIMITATION
from migrate.verify.traces import MAX_RELATIVE_ERROR, MIN_COSINE
from migrate.verify.verdict import EQUAL as SAME
from migrate.verify.verdict import WITHIN

_STATUS_STYLE = {EQUAL: "green", DIFFERS: "bold red", LIMITATION: "yellow", APPROXIMATE: "cyan"}
_TARGET_LABEL = {"nemo2": "NeMo 2.x", "bridge": "Bridge", "automodel": "AutoModel"}


def _row_json(row) -> dict[str, Any]:
    """A row as JSON; `code`, `name` and `severity` of its finding as in lint's records (null if none)."""
    record = vars(row).copy()
    record.update(json_fields(row_finding(row)))
    return record


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
        "legacy_side": result.legacy_source,
        "migrated_side": result.migrated_source,
        "verdict": _verdict_word(result),
        "exit_status": exit_status,
        "strict": result.strict,
        "structural": {
            "equivalent": s.equivalent(result.strict),
            "errors": list(s.errors),
            "rows": [_row_json(row) for row in s.rows],
        },
        "runs": {"legacy": result.legacy_run.to_json(), "migrated": result.migrated_run.to_json()},
        "numeric": _approximate_json(result) if result.approximate else _numeric_json(result),
        "benchmark": _bench_json(result.benchmark),
        "timings_s": result.timings,
    }
    return _json_safe(document)


def verdict_line(result: VerifyResult) -> str:
    """`verify -q`: the verdict, how many rows differ, are known limitations or approximate, and their codes."""
    s = result.structural
    approximate = sum(1 for row in s.rows if row.status == APPROXIMATE)
    found = codes(map(row_finding, s.rows))
    counts = f"{len(s.differences)} differ, {len(s.limitations)} limitation(s)" + (f", {approximate} approximate" if approximate else "")
    return (
        f"{result.yaml_path}: {_verdict_word(result)} ({counts}" + (f" [{found}]" if found else "")
        + f"; numeric check: {'ran' if result.numeric is not None else 'not run'})"
    )


def _verdict_word(result: VerifyResult) -> str:
    if result.numeric_failed is not None:
        return "incomplete: the numeric check failed"
    if not result.approximate:
        return {SAME: "equivalent", WITHIN: "differs within tolerance"}.get(result.outcome, "not equivalent")
    if result.numeric is None:
        return "approximate (structural only)" if result.equivalent else "not equivalent"
    return "within tolerance" if result.equivalent else "outside tolerance"


def _approximate_json(result: VerifyResult) -> dict[str, Any]:
    from migrate.verify.approximate_report import approximate_json

    return approximate_json(result)


def _numeric_json(result: VerifyResult) -> dict[str, Any]:
    from migrate.verify.numeric_report import loss_scaling_json, ranks_json
    from migrate.verify.report_codes import projection_finding

    numeric = result.numeric
    if numeric is None:
        if result.numeric_failed is not None:
            return {"ran": False, "failed": result.numeric_failed}
        return {"ran": False, "skipped_reason": result.numeric_skipped}
    first = numeric.comparison.first_divergence
    losses = {label: run.losses for label, run in numeric.runs.items()}
    return {
        "ran": True,
        "steps": numeric.steps,
        "outcome": numeric.outcome,
        "bitwise_equal": all(rank.comparison.equal for rank in numeric.ranks),
        "gpus": numeric.world_size,
        "backend": numeric.backend,
        "projections": list(numeric.projections),
        "projection_findings": [{"text": text, **json_fields(projection_finding(text))} for text in numeric.projections],
        "ranks": ranks_json(numeric),
        "loss_scaling": loss_scaling_json(numeric.loss_scaling),
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
        "skipped_steps": {label: [i for i, skipped in enumerate(run.skipped, start=1) if skipped] for label, run in numeric.runs.items()},
        "loss_scaler": {label: run.scaler for label, run in numeric.runs.items() if run.scaler is not None},
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
        "peak_memory_bytes_per_rank": list(numeric.peak_memory_per_rank),
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
    """Every figure as JSON, to `path` (atomically) or to stdout for `-`."""
    text = json.dumps(to_json(result, exit_status), indent=2) + "\n"
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from migrate.atomic import write_atomic

    write_atomic(path, text)


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
        finding = row_finding(row)
        note = f"{finding[0]} [{finding[2]}] {row.note or finding[1]}" if finding else row.note
        if row.status == EQUAL:
            why = row.legacy_why
        else:
            why = f"legacy: {row.legacy_why}\nmigrated: {row.migrated_why}" + (f"\n{note}" if note else "")
        table.add_row(row.label, escape(_show(row.legacy)), escape(_show(row.migrated)), f"[{style}]{row.status}[/]", escape(why))
    console.print(table)
    console.print(f"legacy side: {escape(result.legacy_source)}")
    console.print(f"migrated side: {escape(result.migrated_source)}")
    for error in s.errors:
        console.print(f"[bold red]migrated plugin error:[/] {escape(error)}")
    if s.limitations:
        found = codes(map(row_finding, s.limitations))
        console.print(f"[yellow]{len(s.limitations)} known NeMo 2.0 limitation(s) ({escape(found)}, {SEVERITY}): reported, not counted"
                      + (" (--strict counts them)" if not result.strict else " (counted: --strict)") + "[/]")
    if result.approximate:
        from migrate.verify.approximate_report import print_approximate, verdict

        if result.numeric_failed is not None:
            console.print(f"[bold red]NUMERIC CHECK FAILED[/]: {escape(result.numeric_failed)}")
            console.print("[bold red]VERIFY INCOMPLETE[/] (exit status 4)")
            return
        if result.numeric is None:
            console.print(f"[yellow]Only the structural check ran: the approximate numeric check was skipped ({escape(str(result.numeric_skipped))}).[/]")
        else:
            print_approximate(result, console)
        console.print(verdict(result))
        return
    _print_numeric(result, console, escape)
    _print_bench(result.benchmark, console)
    if result.numeric_failed is not None:
        console.print(f"[bold red]NUMERIC CHECK FAILED[/]: {escape(result.numeric_failed)}")
        state = "the settings differ" if not s.equivalent(result.strict) else "the structural check alone is not a pass"
        console.print(f"[bold red]VERIFY INCOMPLETE[/] ({state}; exit status 4)")
        return
    outcome = result.outcome
    if outcome == WITHIN:
        verdict = "[bold yellow]DIFFERS WITHIN TOLERANCE[/]"
        scope = "what NeMo 2.0 can express is bitwise equal; the rest moves training less than the documented tolerance"
    else:
        verdict = "[bold green]EQUIVALENT[/]" if outcome == SAME else "[bold red]NOT EQUIVALENT[/]"
        scope = "structural and numeric check" if result.numeric is not None else "structural check only"
    if result.numeric is not None and result.numeric.world_size > 1:
        scope += f", {result.numeric.world_size} GPUs"
    console.print(f"{verdict} ({scope})")


def _print_numeric(result: VerifyResult, console, escape) -> None:
    from rich.table import Table

    from migrate.verify.numeric_report import print_loss_scaling, print_ranks, print_twin_and_distances

    numeric = result.numeric
    if numeric is None:
        if result.numeric_failed is None:
            console.print(f"[yellow]Only the structural check ran: the numeric check was skipped ({escape(str(result.numeric_skipped))}).[/]")
        return
    legacy, migrated = numeric.runs["legacy"], numeric.runs["migrated"]
    where = f" on {numeric.world_size} ranks, rank 0 shown" if numeric.world_size > 1 else ""
    modes = f"legacy {legacy.config.weights} {legacy.config.dtype}, migrated {migrated.config.weights} {migrated.config.dtype}"
    table = Table(title=f"Numeric check: {numeric.steps} steps on {numeric.environment.get('device', 'GPU')}{where} ({modes})")
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
    if numeric.world_size > 1:
        print_ranks(numeric, console)
    print_twin_and_distances(numeric, console, escape)
    if numeric.loss_scaling is not None:
        print_loss_scaling(numeric.loss_scaling, console)
    for check in numeric.references:
        mark = "[green]within[/]" if check.within_thresholds else "[red]outside[/]"
        console.print(
            f"FP8 vs no-FP8 reference ({check.label}): worst relative error {check.worst_relative_error:.4f}, "
            f"worst cosine {check.worst_cosine:.5f}: {mark} thresholds (rel <= {MAX_RELATIVE_ERROR}, cos >= {MIN_COSINE})"
        )
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items())
    memory = f"peak GPU memory {numeric.peak_memory_bytes / 2**20:.0f} MiB" if numeric.environment.get("device") != "CPU" else "on the CPU"
    console.print(f"numeric check: {numeric.wall_s:.1f} s, {memory} ({timings})")


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
    """The per-step bitwise difference, the distances (where the legacy run cannot be expressed),
    both sides' FP8 scales and the fp16 loss-scale histories (numeric_report.plot_panels). Needs matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from migrate.verify.numeric_report import plot_panels

    panels = plot_panels(result)
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 3.4 * len(panels)), constrained_layout=True, squeeze=False)
    for axis, panel in zip(axes[:, 0], panels):
        for series in panel.series:
            axis.plot(series.x, series.y, linestyle=series.style or "none", marker=series.marker or None, label=series.label)
        for y, label in panel.hlines:
            axis.axhline(y, color="red", linestyle=":", label=label)
        if panel.series:
            if panel.yscale == "symlog":
                axis.set_yscale("symlog", linthresh=1e-6)
            elif panel.yscale == "log":
                axis.set_yscale("log")
            axis.legend(fontsize="small")
        axis.set_title(panel.title)
        axis.set_xlabel("step")
        axis.set_ylabel(panel.ylabel)
    from migrate.atomic import save_atomic

    save_atomic(path, lambda temp: fig.savefig(temp, dpi=110, format="png"), ".png")
    plt.close(fig)
