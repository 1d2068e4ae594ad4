"""The `convert` command's flow, kept out of cli.py: settings, inputs, outputs, what is printed, exit status.

Exit status: 0 every input converted or skipped (or, with --diff/--check, nothing would change),
1 --diff/--check: something would change, 2 a bad input, an output that could not be written, or a
usage error.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from migrate.errors import InputError
from migrate.usage import UsageError

PYTHON_SUFFIX = ".py"


@dataclass(frozen=True)
class ConvertRequest:
    """The command line, None where an option was not given (settings may then decide)."""

    paths: tuple[str, ...]
    output: str | None = None
    out_dir: str | None = None
    set_values: tuple[str, ...] = ()
    env_values: tuple[str, ...] = ()
    target_nemo: str | None = None
    nemo1_version: str | None = None
    trainer_builder: str | None = None
    run: str | None = None
    stdin_filename: str = "<stdin>"
    verbose: bool = False
    quiet: bool = False
    into: tuple[str, ...] = ()
    diff: bool = False
    check: bool = False
    trainer_line: int | None = None
    target: str = "nemo2"
    config: tuple[str, ...] = ()
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    show_settings: bool = False
    show_files: bool = False
    color: str = "auto"
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))


def output_path(out_dir: Path, relative: str, target: str = "nemo2") -> Path:
    """The mirrored path below --out-dir; Python modules and their folders get importable names
    (`llama3.1-70b.yaml` -> `llama3_1_70b.py`: every character that cannot be in an identifier becomes `_`,
    a leading digit gets `_`)."""
    from migrate.convert import OUTPUT_SUFFIX

    stem = relative.rsplit(".", 1)[0] if relative.endswith((".yaml", ".yml")) else relative
    suffix = OUTPUT_SUFFIX[target]
    if suffix == PYTHON_SUFFIX:
        stem = "/".join(_identifier(part) for part in stem.replace(os.sep, "/").split("/"))
    return out_dir / (stem + suffix)


def _identifier(name: str) -> str:
    name = re.sub(r"\W", "_", name, flags=re.ASCII)
    return "_" + name if not name or name[0].isdigit() else name


def run_output(path: Path, run: str | None) -> Path:
    """`ppo.py` -> `ppo_actor.py` for one run of a file holding several."""
    return path.with_name(f"{path.stem}_{run}{path.suffix}") if run else path


def _planned_output(item, output: Path | None, out_dir: Path | None, target: str) -> Path | None:
    """Where one input's result goes: a file under --out-dir, the -o file, or None for stdout."""
    if out_dir is not None:
        return output_path(out_dir, item.relative, target)
    return output


def _output_conflicts(planned: dict, outputs) -> list[str]:
    """One located line per planned output that is an input of the run or another input's output."""
    from migrate.preview import same_file

    lines: list[str] = []
    taken: dict[str, str] = {}
    for source, destination in planned.items():
        if destination is None:
            continue
        clash = outputs.input_named(destination)
        if clash is not None:
            lines.append(f"{source}: error: its output {destination} is an input of this run ({clash}); refusing to overwrite it")
            continue
        key = os.path.realpath(destination)
        for other, other_key in taken.items():
            if other_key == key or same_file(other_key, key):
                lines.append(f"{source}: error: its output {destination} is also the output of {other}; rename one of them")
                break
        else:
            taken[source] = key
    return lines


def _summary(counts: dict[str, int], mode: str) -> str:
    """`3 converted, 1 skipped, 0 failed`; with --diff/--check nothing is written, so it says what would be."""
    if mode == "write":
        return ", ".join(f"{counts[key]} {key}" for key in ("converted", "skipped", "failed"))
    return (
        f"{counts['changed']} would change, {counts['unchanged']} unchanged, {counts['skipped']} skipped, "
        f"{counts['failed']} failed (nothing was written)"
    )


def run_convert(request: ConvertRequest) -> int:
    from dataclasses import replace

    from migrate.command_settings import resolve_command_settings

    if request.output == "-":  # `-o -` is stdout, as for lint and verify
        request = replace(request, output=None)

    if request.diff and request.check:
        raise UsageError("use either --diff or --check", "--diff")
    if request.output is not None and request.out_dir is not None:
        raise UsageError("use either -o/--output-file or --out-dir", "-o")
    if request.into:
        if request.target == "bridge":
            raise UsageError("--into rewrites NeMo 2.0 scripts (--target nemo2) or AutoModel YAML recipes (--target automodel)", "--into")
        if request.output is not None or request.out_dir is not None:
            raise UsageError("--into rewrites scripts in place; it does not take -o/--out-dir", "--into")
    elif request.trainer_line is not None:
        raise UsageError("--trainer-line only applies with --into", "--trainer-line")
    elif (request.diff or request.check) and request.output is None and request.out_dir is None:
        raise UsageError("--diff/--check compare with a file: add --into, -o or --out-dir", "--diff")
    settings = resolve_command_settings(request, "convert")
    if request.show_settings:
        print(settings.describe())
        return 0
    from migrate.inputs import STDIN, collect_inputs

    collected = collect_inputs(list(request.paths))
    inputs = [item for item in collected.files if item.path == STDIN or not settings.excluded(item.path, named=item.named)]
    if request.show_files:
        for item in inputs:
            print(item.path)
        return 0
    from migrate.preview import Outputs

    outputs = Outputs("diff" if request.diff else "check" if request.check else "write", color=settings.color)
    if request.into:
        return _convert_into(request, settings, outputs)
    return _convert_files(request, settings, outputs, inputs, collected)


def _convert_into(request: ConvertRequest, settings, outputs) -> int:
    """`convert OLD.yaml --into SCRIPT.py`: exits with 0, 1 (--diff/--check: something would change) or 2."""
    from migrate.codemod.into import convert_into

    if len(request.paths) != 1 or os.path.isdir(request.paths[0]):
        raise UsageError("--into takes exactly one YAML file (or -)", "--into")
    path = request.paths[0]
    run = convert_into(path, list(request.into), settings.options_for(path), outputs, request.trainer_line,
                       request.verbose, request.quiet, request.stdin_filename, settings.show)
    if not request.quiet or run.failed:
        print(run.summary(), file=sys.stderr)
    return run.exit_code()


def _convert_files(request: ConvertRequest, settings, outputs, inputs, collected) -> int:
    from migrate.convert import convert_config, convert_path, load_config
    from migrate.inputs import STDIN
    from migrate.report import error_line, print_findings

    output = Path(request.output) if request.output is not None else None
    out_dir = Path(request.out_dir) if request.out_dir is not None else None
    if output is not None and len(inputs) + len(collected.missing) != 1:
        raise UsageError("-o/--output-file takes exactly one input file; use --out-dir for several", "-o")
    planned = {item.path: _planned_output(item, output, out_dir, request.target) for item in inputs}
    outputs.protect([item.path for item in inputs])
    conflicts = _output_conflicts(planned, outputs)
    if conflicts:
        for line in conflicts:
            print(line, file=sys.stderr)
        print(f"error: {len(conflicts)} output path(s) would overwrite an input or another output; nothing was written",
              file=sys.stderr)
        return 2
    counts = {"converted": 0, "skipped": 0, "failed": 0, "changed": 0, "unchanged": 0}
    for path in collected.missing:
        print(f"{path}: NMP002 [error] no such file or directory", file=sys.stderr)
        counts["failed"] += 1
    for path in collected.special:
        if not request.quiet:
            print(f"{path}: skipped: not a regular file (a FIFO, device or socket)", file=sys.stderr)
        counts["skipped"] += 1

    def run_one(item) -> None:
        options = settings.options_for(item.path)
        if item.path == STDIN:
            try:
                result = convert_config(load_config(STDIN, options, request.stdin_filename), options)
            except InputError as error:
                print(error_line(error), file=sys.stderr)
                counts["failed"] += 1
                return
        else:
            result = convert_path(item.path, options)
        if result.status == "failed":
            counts["failed"] += 1
            print(result.message, file=sys.stderr)
            return
        if result.status == "skipped":
            counts["skipped"] += 1
            if not request.quiet:
                print(f"{result.path}: skipped: {result.message}", file=sys.stderr)
            return
        parts = result.parts or (result,)
        target_path = planned[item.path]
        if len(parts) > 1 and output is not None:
            print(f"{result.path}: error: holds {len(parts)} training runs ({', '.join(p.run or '?' for p in parts)}): "
                  "use --out-dir, or choose one with --run NAME", file=sys.stderr)
            counts["failed"] += 1
            return
        for part in parts:
            if not request.quiet:
                print_findings(result.path, settings.show(item.path, part), request.verbose)
            if target_path is None:
                if len(inputs) > 1 or len(parts) > 1:
                    run = f" (run {part.run})" if part.run else ""
                    sys.stdout.write(f"# ===== nemo-migrate: {result.path}{run} =====\n")
                sys.stdout.write(part.output)
                sys.stdout.flush()
                continue
            destination = run_output(target_path, part.run) if len(parts) > 1 else target_path
            try:
                changed = outputs.offer(destination, part.output)
            except InputError as error:
                print(error_line(error), file=sys.stderr)
                counts["failed"] += 1
                return
            counts["changed" if changed else "unchanged"] += 1
        counts["converted"] += 1

    if len(inputs) > 5 and sys.stderr.isatty() and not request.quiet:
        from rich.console import Console
        from rich.progress import Progress

        with Progress(transient=True, console=Console(stderr=True, no_color=not settings.color)) as progress:
            task = progress.add_task("converting", total=len(inputs))
            for item in inputs:
                run_one(item)
                progress.advance(task)
    else:
        for item in inputs:
            run_one(item)

    if not request.quiet or counts["failed"]:
        print(_summary(counts, outputs.mode), file=sys.stderr)
    if counts["failed"]:
        return 2
    return 1 if outputs.mode != "write" and outputs.changed else 0


__all__ = ["ConvertRequest", "run_convert", "output_path", "run_output"]
