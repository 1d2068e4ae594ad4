"""Presenting the approximate (AutoModel / torchao) numeric check: per-step table, JSON, verdict."""

from __future__ import annotations

from typing import Any

from migrate.verify.torchao_numeric import MAX_BASELINE_RELATIVE_ERROR, MAX_RELATIVE_ERROR, MIN_COSINE


def verdict(result) -> str:
    if not result.structural.equivalent(result.strict):
        return "[bold red]NOT EQUIVALENT[/] (structural check; FP8 recipe rows are approximate by design)"
    if result.numeric is None:
        return "[yellow]APPROXIMATE[/] (structural check only: dtypes agree; the FP8 recipe differs by design and was not measured)"
    if result.equivalent:
        return "[bold green]WITHIN TOLERANCE[/] (approximate: torchao FP8 vs no-FP8 reference; not bitwise equivalence)"
    return "[bold red]OUTSIDE TOLERANCE[/] (approximate: torchao FP8 vs no-FP8 reference)"


def print_approximate(result, console) -> None:
    from rich.table import Table

    numeric = result.numeric
    checks = numeric.checks
    table = Table(title=f"Approximate numeric check: {numeric.steps} steps on {numeric.environment.get('device', 'GPU')}, against the bf16 TE reference")
    for column in ("step", "rel err TE delayed", "cos TE delayed", f"rel err torchao {numeric.recipe}",
                   f"cos torchao {numeric.recipe}", "rel err PyTorch bf16"):
        table.add_column(column, justify="right")
    for i in range(numeric.steps):
        table.add_row(
            str(i + 1),
            f"{checks['legacy'].relative_error[i]:.4f}",
            f"{checks['legacy'].cosine[i]:.5f}",
            f"{checks['torchao'].relative_error[i]:.4f}",
            f"{checks['torchao'].cosine[i]:.5f}",
            f"{checks['baseline'].relative_error[i]:.4f}",
        )
    console.print(table)
    torchao, legacy = checks["torchao"], checks["legacy"]
    mark = "[green]within[/]" if numeric.within_tolerance else "[red]outside[/]"
    console.print(
        f"torchao {numeric.recipe}: worst relative error {torchao.worst_relative_error:.4f}, worst cosine "
        f"{torchao.worst_cosine:.5f}: {mark} tolerance (rel <= {MAX_RELATIVE_ERROR}, cos >= {MIN_COSINE}); "
        f"legacy TE delayed scaling for comparison: {legacy.worst_relative_error:.4f}, {legacy.worst_cosine:.5f}"
    )
    if not numeric.baseline_agrees:
        console.print(f"[red]the PyTorch bf16 model departs from the TE bf16 model (rel > {MAX_BASELINE_RELATIVE_ERROR}): the comparison is not meaningful[/]")
    console.print(f"approximate check: {numeric.wall_s:.1f} s, peak GPU memory {numeric.peak_memory_bytes / 2**20:.0f} MiB")


def approximate_json(result) -> dict[str, Any]:
    numeric = result.numeric
    if numeric is None:
        return {"ran": False, "mode": "approximate", "skipped_reason": result.numeric_skipped}
    return {
        "ran": True,
        "mode": "approximate",
        "bitwise_equal": False,
        "steps": numeric.steps,
        "torchao_recipe": numeric.recipe,
        "within_tolerance": numeric.within_tolerance,
        "tolerance": {"max_relative_error": MAX_RELATIVE_ERROR, "min_cosine": MIN_COSINE,
                      "max_baseline_relative_error": MAX_BASELINE_RELATIVE_ERROR},
        "against_reference": {
            label: {"relative_error": list(check.relative_error), "cosine": list(check.cosine)}
            for label, check in numeric.checks.items()
        },
        "losses": numeric.losses,
        "wall_s": numeric.wall_s,
        "peak_memory_bytes": numeric.peak_memory_bytes,
        "environment": numeric.environment,
    }
