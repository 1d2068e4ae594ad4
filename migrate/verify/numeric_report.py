"""Presenting the numeric check's newer parts: the expressible twin and the distances (O1, ...),
the fp16 overflow schedule, the per-rank view of --gpus N; as terminal text, JSON and plot series.

The plot is described as data first (`plot_panels`: titles, series, tolerance lines), so what it
shows is testable without matplotlib; report.write_plot only draws the panels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any



def _fmt(value: float | None, digits: str = ".4f") -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf"
    return format(value, digits)


def _scale(value: float) -> str:
    if value > 0 and math.log2(value).is_integer():
        return f"2**{int(math.log2(value))}"
    return f"{value:g}"


# ---------------------------------------------------------------- terminal


def print_twin_and_distances(numeric, console, escape) -> None:
    """What the twin replaced, whether it equals the migrated run, and the per-step distances."""
    from rich.table import Table

    rank = numeric.ranks[0]
    if rank.twin is None:
        return
    from migrate.verify.report_codes import projection_finding

    console.print("[yellow]The legacy run holds settings the migrated stack cannot express:[/]")
    for change in numeric.projections:
        found = projection_finding(change)
        code = f"{found[0]} [{found[2]}] " if found else ""
        console.print(f"  - {escape(code + change)}")
    for item in numeric.ranks:
        where = f" (rank {item.rank})" if numeric.world_size > 1 else ""
        first = item.twin.first_divergence
        if first is None:
            console.print(f"[green]the legacy run with those settings replaced is bitwise equal to the migrated run at all {numeric.steps} steps{where}[/]")
        else:
            names = ", ".join(first.differing[:6]) + (" ..." if len(first.differing) > 6 else "")
            console.print(f"[bold red]even with those settings replaced, the legacy run differs from the migrated run from step {first.step}{where}[/] ({escape(names)}): the migration changed something it could keep")
    distances = rank.distances
    tolerance = distances.tolerance
    references = {pair.of: pair for pair in distances.references}
    table = Table(title=f"Distance of the outputs per step (relative error, cosine){' on rank 0' if numeric.world_size > 1 else ''}")
    columns = ["step"]
    if references:
        columns += ["legacy vs fp32", "migrated vs fp32"]
    columns += ["migrated vs legacy", "cosine", "within"]
    for column in columns:
        table.add_column(column, justify="right")
    for i, (error, cosine) in enumerate(zip(distances.judged.relative_error, distances.judged.cosine)):
        row = [str(i + 1)]
        if references:
            row += [_fmt(references["legacy"].relative_error[i]), _fmt(references["migrated"].relative_error[i])]
        row += [_fmt(error), _fmt(cosine, ".6f"), "[green]yes[/]" if tolerance.admits(error, cosine) else "[red]no[/]"]
        table.add_row(*row)
    console.print(table)
    worst = distances.judged
    console.print(
        f"migrated vs legacy as it ran: worst relative error {_fmt(worst.worst_relative_error)}, worst cosine "
        f"{_fmt(worst.worst_cosine, '.6f')}; tolerance {tolerance.name}: rel <= {tolerance.max_relative_error}, "
        f"cos >= {tolerance.min_cosine}" + ("; the fp32 columns are reported, not judged" if references else "")
    )
    for item in numeric.ranks[1:]:
        mark = "within" if item.distances.within else "outside"
        console.print(f"rank {item.rank}: worst relative error {_fmt(item.distances.judged.worst_relative_error)}: {mark} tolerance")


def print_loss_scaling(check, console) -> None:
    from rich.table import Table

    legacy, migrated = check.histories["legacy"], check.histories["migrated"]
    twin = check.histories.get("twin")
    spikes = set(i for i, spike in enumerate(check.schedule.spikes, start=1) if spike)
    phase_of = {}
    for name, first, last in check.schedule.phases:
        for step in range(first, last + 1):
            phase_of[step] = name
    table = Table(title=f"fp16 loss scaling under overflow: {check.schedule.steps} steps, spikes overflow the fp16 gradients")
    columns = ["step", "phase", "spike", "legacy scale", "skipped", "migrated scale", "skipped "]
    if twin is not None:
        columns.append("twin scale")
    for column in columns:
        table.add_column(column, justify="right")
    shown = _interesting_steps(check)
    for step in shown:
        i = step - 1
        row = [str(step), phase_of.get(step, ""), "x" if step in spikes else "", _scale(legacy.after[i]),
               "yes" if legacy.skipped[i] else "", _scale(migrated.after[i]), "yes" if migrated.skipped[i] else ""]
        if twin is not None:
            row.append(_scale(twin.after[i]))
        style = "red" if legacy.after[i] != migrated.after[i] or legacy.skipped[i] != migrated.skipped[i] else None
        table.add_row(*row, style=style)
    console.print(table)
    for label, history in (("legacy", legacy), ("migrated", migrated)):
        console.print(f"{label}: {history.implementation}; {len(history.skipped_steps)} skipped steps, "
                      f"{history.backoffs} backoffs, {history.growths} growths, lowest scale {_scale(min(history.after))}")
    first_scale, first_skip = check.first_scale_difference, check.first_skip_difference
    if check.comparison.equal:
        console.print("[green]loss scale, skipped steps and training bitwise equal at every step of the schedule[/]")
    else:
        skips = f"skipped steps from step {first_skip}" if first_skip else "the same steps skipped"
        scales = f"scale histories differ from step {first_scale}" if first_scale else "the same scale history"
        console.print(f"{scales}, {skips}; outputs drift up to {_fmt(check.distance.worst_relative_error)} (relative error)")
        if check.rule_difference:
            from migrate.verify.report_codes import SCALER_RULE_FINDING, finding

            code, _, severity = finding(SCALER_RULE_FINDING)
            console.print(f"[yellow]{code} \\[{severity}] the twin (NeMo 1.0's settings under Megatron-core's rule) reproduces the "
                          "migrated run bitwise: the difference is NeMo 1.0's scaler rule, which NeMo 2.0 cannot express "
                          "(counted with --strict)[/]")
        else:
            console.print("[bold red]the migrated scaler differs from NeMo 1.0's settings under Megatron-core's rule: "
                          "a scaler setting was not carried over[/]")


def _interesting_steps(check) -> list[int]:
    """Every step where something happens (a spike, a skip, a scale change, a difference), plus the
    first and last: the table stays short for 70-step schedules."""
    steps = []
    legacy, migrated = check.histories["legacy"], check.histories["migrated"]
    for i in range(check.schedule.steps):
        eventful = (check.schedule.spikes[i] or legacy.skipped[i] or migrated.skipped[i]
                    or legacy.after[i] != legacy.used[i] or migrated.after[i] != migrated.used[i]
                    or legacy.after[i] != migrated.after[i])
        if eventful or i in (0, check.schedule.steps - 1):
            steps.append(i + 1)
    return steps


def print_ranks(numeric, console) -> None:
    from rich.table import Table

    table = Table(title=f"Data-parallel numeric check: {numeric.world_size} ranks ({numeric.backend}), data of rank r scaled by 4**r")
    for column in ("rank", "legacy vs migrated", "first divergence", "quantities", "outcome", "peak GPU MiB"):
        table.add_column(column, justify="right")
    for item in numeric.ranks:
        first = item.comparison.first_divergence
        names = "-" if first is None else ", ".join(first.differing[:4]) + (" ..." if len(first.differing) > 4 else "")
        peak = numeric.peak_memory_per_rank[item.rank] if item.rank < len(numeric.peak_memory_per_rank) else 0
        table.add_row(str(item.rank), "[green]equal[/]" if first is None else "[red]differ[/]",
                      "-" if first is None else str(first.step), names, item.outcome, f"{peak / 2**20:.0f}")
    console.print(table)


# ---------------------------------------------------------------- JSON


def ranks_json(numeric) -> list[dict[str, Any]]:
    out = []
    for item in numeric.ranks:
        first = item.comparison.first_divergence
        entry: dict[str, Any] = {
            "rank": item.rank,
            "outcome": item.outcome,
            "bitwise_equal": item.comparison.equal,
            "first_divergence": None if first is None else {"step": first.step, "quantities": list(first.differing), "max_abs": first.max_abs},
            "first_divergence_by_group": item.comparison.first_divergence_by_group(),
        }
        if item.twin is not None:
            twin_first = item.twin.first_divergence
            entry["twin_bitwise_equal"] = item.twin.equal
            entry["twin_first_divergence"] = None if twin_first is None else {"step": twin_first.step, "quantities": list(twin_first.differing)}
            entry["distances"] = item.distances.to_json()
        out.append(entry)
    return out


def _scaler_rule_json() -> dict[str, Any]:
    from migrate.verify.report_codes import SCALER_RULE_FINDING, finding, json_fields

    return json_fields(finding(SCALER_RULE_FINDING))


def loss_scaling_json(check) -> dict[str, Any] | None:
    if check is None:
        return None
    return {
        "schedule": check.schedule.to_json(),
        "histories": {label: history.to_json() for label, history in check.histories.items()},
        "bitwise_equal": check.comparison.equal,
        "twin_bitwise_equal": None if check.twin_comparison is None else check.twin_comparison.equal,
        "rule_difference": check.rule_difference,
        **({"rule_difference_finding": _scaler_rule_json()} if check.rule_difference else {}),
        "first_scale_difference": check.first_scale_difference,
        "first_skip_difference": check.first_skip_difference,
        "output_distance": check.distance.to_json(),
        "outcome": check.outcome,
        "wall_s": check.wall_s,
    }


# ---------------------------------------------------------------- plot data


@dataclass
class Series:
    label: str
    x: list[int]
    y: list[float]
    style: str = "-"  # matplotlib line style
    marker: str = "o"


@dataclass
class Panel:
    title: str
    ylabel: str
    yscale: str = "linear"  # "linear" | "log" | "symlog"
    series: list[Series] = field(default_factory=list)
    hlines: list[tuple[float, str]] = field(default_factory=list)  # (y, label): tolerance lines


def _nan(value: float | None) -> float:
    return float("nan") if value is None or not math.isfinite(value) else value


def plot_panels(result) -> list[Panel]:
    """Everything --plot draws, as data."""
    numeric = result.numeric
    panels = []
    bitwise = Panel("", "max |legacy - migrated|", "symlog")
    steps = [step.step for step in numeric.comparison.steps]
    for group in ("output", "grad", "loss", "scale", "loss_scale"):
        values = [max((item.comparison.steps[i].max_abs.get(group, float("nan")) if i < len(item.comparison.steps) else float("nan"))
                      for item in numeric.ranks) for i in range(len(steps))]
        if any(math.isfinite(v) for v in values) or any(v == math.inf for v in values):
            bitwise.series.append(Series(group, steps, [_nan(v) for v in values]))
    first = numeric.comparison.first_divergence
    ranks = f" ({numeric.world_size} ranks, worst rank)" if numeric.world_size > 1 else ""
    bitwise.title = ("bitwise equal at every step" if first is None else f"legacy vs migrated: first divergence at step {first.step}") + ranks
    twin = numeric.ranks[0].twin
    if twin is not None:
        values = [step.max_abs.get("output", float("nan")) for step in twin.steps]
        bitwise.series.append(Series("output, twin vs migrated", [s.step for s in twin.steps], [_nan(v) for v in values], "--", "x"))
    panels.append(bitwise)
    distances = numeric.ranks[0].distances
    if distances is not None:
        panel = Panel("output distance per step (relative error)", "relative error", "log")
        for pair in (distances.judged, *distances.references):
            panel.series.append(Series(pair.label, list(range(1, len(pair.relative_error) + 1)), [_nan(e) for e in pair.relative_error]))
        panel.hlines.append((distances.tolerance.max_relative_error, f"tolerance {distances.tolerance.name}"))
        panels.append(panel)
    scales = Panel("FP8 scaling factors after each step", "FP8 scale (first quantizer)", "log")
    for label, style in (("legacy", "-"), ("migrated", "--")):
        for name, history in sorted(numeric.runs[label].scales.items()):
            scales.series.append(Series(f"{label} {name}[0]", list(range(1, len(history) + 1)), [values[0] for values in history], style, "."))
    if scales.series:  # no panel when FP8 is off on both sides
        panels.append(scales)
    check = numeric.loss_scaling
    if check is not None:
        panel = Panel("fp16 loss scale under the overflow schedule (x: skipped step)", "loss scale", "log")
        for label, history in check.histories.items():
            style = {"legacy": "-", "migrated": "--", "twin": ":"}.get(label, "-")
            panel.series.append(Series(f"{label} scale", list(range(1, len(history.after) + 1)), list(history.after), style, ""))
            skipped = list(history.skipped_steps)
            if skipped and label != "twin":
                panel.series.append(Series(f"{label} skipped", skipped, [history.after[i - 1] for i in skipped], "", "x"))
        panels.append(panel)
    return panels

