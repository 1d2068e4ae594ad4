"""The `nemo-migrate` command line (typer). Heavy imports stay inside the commands."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import List, Optional

import typer

from migrate import __version__, nemo_releases

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Move NeMo 1.0 precision configs to NeMo 2.0 without silently changing their numerics.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

NEMO1_HELP = (
    "NeMo 1.x release the config ran with: 1.5 .. 1.23, 2.x (the NeMo 1.0 code inside NeMo 2.x containers), "
    "or a container tag such as 23.10 (default: 1.23)."
)
BUILDER_HELP = (
    "The NeMo 1.0 trainer builder the training script used: gpt (pretraining, Aligner), bert, t5, or lmpp "
    "(PEFT, and SFT from 1.23). Default: guessed from the config, and the output says how."
)
TARGET_NEMO_HELP = (
    f"NeMo 2.x release ({', '.join(nemo_releases.RELEASES)}) or NeMo Framework container tag "
    f"({', '.join(nemo_releases.MAPPED_TAGS)}); default {nemo_releases.DEFAULT}. NeMo 3 has no "
    "MegatronMixedPrecision: use --target bridge."
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nemo-migrate {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Move NeMo 1.0 precision configs to NeMo 2.0 without silently changing their numerics."""


TRAINER_BUILDERS = ("gpt", "bert", "t5", "lmpp")
DEFAULT_NEMO1_VERSION = "1.23"


def _nemo1_version(value: Optional[str]) -> None:
    if value is None:
        return
    from migrate.legacy.versions import resolve_version

    try:
        resolve_version(value)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--nemo1-version") from None


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)
    return value


def _target_nemo(value: str, target: str) -> nemo_releases.TargetNemo:
    """The release (and container) --target-nemo names; a one-line error and exit 2 otherwise.

    Only the nemo2 target writes for a NeMo release; with another target, naming NeMo 3 is no error.
    """
    try:
        return nemo_releases.resolve_target_nemo(value)
    except nemo_releases.NeMo3Error:
        if target != "nemo2":
            return nemo_releases.TargetNemo(nemo_releases.DEFAULT)
        print(f"error: --target-nemo {value}: {nemo_releases.NEMO3_MESSAGE}", file=sys.stderr)
        raise typer.Exit(2) from None
    except nemo_releases.TargetNemoError as error:
        print(f"error: --target-nemo {value}: {error}", file=sys.stderr)
        raise typer.Exit(2) from None


def _output_path(out_dir: Path, relative: str, target: str = "nemo2") -> Path:
    """The mirrored path below --out-dir; Python modules and their folders get importable names
    (`llama3.1-70b.yaml` -> `llama3_1_70b.py`: every character that cannot be in an identifier becomes `_`,
    a leading digit gets `_`)."""
    from migrate.convert import OUTPUT_SUFFIX

    stem = relative.rsplit(".", 1)[0] if relative.endswith((".yaml", ".yml")) else relative
    suffix = OUTPUT_SUFFIX[target]
    if suffix == ".py":
        stem = "/".join(_identifier(part) for part in stem.replace(os.sep, "/").split("/"))
    return out_dir / (stem + suffix)


def _identifier(name: str) -> str:
    name = re.sub(r"\W", "_", name, flags=re.ASCII)
    return "_" + name if not name or name[0].isdigit() else name


def _run_output(path: Path, run: Optional[str]) -> Path:
    """`ppo.py` -> `ppo_actor.py` for one run of a file holding several."""
    return path.with_name(f"{path.stem}_{run}{path.suffix}") if run else path


def _planned_output(item, output: Optional[Path], out_dir: Optional[Path], target: str) -> Optional[Path]:
    """Where one input's result goes: a file under --out-dir, the -o file, or None for stdout."""
    if out_dir is not None:
        return _output_path(out_dir, item.relative, target)
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
            lines.append(f"{source}: its output {destination} is an input of this run ({clash}); refusing to overwrite it")
            continue
        key = os.path.realpath(destination)
        for other, other_key in taken.items():
            if other_key == key or same_file(other_key, key):
                lines.append(f"{source}: its output {destination} is also the output of {other}; rename one of them")
                break
        else:
            taken[source] = key
    return lines


@app.command()
def convert(
    paths: List[str] = typer.Argument(..., metavar="PATH...", help="YAML files, directories (searched recursively for *.yaml/*.yml), or - for stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write the module here (one input only)."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Write one module per input below DIR, mirroring the input tree."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Hydra-style override, e.g. model.fp8=True (repeatable; ~KEY deletes)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable). The process environment is never read."),
    target_nemo: str = typer.Option(nemo_releases.DEFAULT, "--target-nemo", help="Whose MegatronMixedPrecision signature to emit: " + TARGET_NEMO_HELP),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", help=NEMO1_HELP),
    trainer_builder: Optional[str] = typer.Option(None, "--trainer-builder", help=BUILDER_HELP),
    run_name: Optional[str] = typer.Option(None, "--run", metavar="NAME", help="In a file holding several runs (e.g. actor and critic), convert only this one."),
    stdin_filename: str = typer.Option("<stdin>", "--stdin-filename", help="Name to report for input read from stdin."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Also print informational notes on stderr."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Print only errors and the summary on stderr."),
    into: List[Path] = typer.Option([], "--into", metavar="SCRIPT.py", help="Rewrite the precision plugin of this existing NeMo 2.0 script in place (repeatable; one YAML input)."),
    show_diff: bool = typer.Option(False, "--diff", help="Print a unified diff of every file that would change; write nothing; exit 1 if any would."),
    check: bool = typer.Option(False, "--check", help="Write nothing; list the files that would change on stderr; exit 1 if any would."),
    trainer_line: Optional[int] = typer.Option(None, "--trainer-line", metavar="LINE", min=1, help="With --into: the trainer (or plugin) call on this line is the one to edit."),
    target: str = typer.Option("nemo2", "--target", help="What to write: nemo2 (nl.MegatronMixedPrecision module), bridge (Megatron Bridge MixedPrecisionConfig module) or automodel (NeMo AutoModel YAML blocks)."),
) -> None:
    """Convert NeMo 1.0 YAML configs into NeMo 2.0 `nl.MegatronMixedPrecision` modules, or into existing scripts."""
    from migrate.convert import ConvertOptions, convert_config, convert_path, load_config
    from migrate.errors import InputError
    from migrate.inputs import STDIN, collect_inputs
    from migrate.legacy.overrides import OverrideSyntaxError, parse_env, parse_override
    from migrate.preview import Outputs
    from migrate.report import error_line, print_findings, summary_line

    _nemo1_version(nemo1_version)
    if trainer_builder is not None:
        _choice(trainer_builder, TRAINER_BUILDERS, "--trainer-builder")
    _choice(target, ("nemo2", "bridge", "automodel"), "--target")
    nemo = _target_nemo(target_nemo, target)
    if into and target == "bridge":
        raise typer.BadParameter("--into rewrites NeMo 2.0 scripts (--target nemo2) or AutoModel YAML recipes (--target automodel)", param_hint="--into")
    if output is not None and out_dir is not None:
        raise typer.BadParameter("use either -o/--output or --out-dir", param_hint="-o")
    try:
        overrides = tuple(parse_override(item) for item in set_values)
        env = parse_env(env_values)
    except OverrideSyntaxError as error:
        raise typer.BadParameter(str(error)) from None
    options = ConvertOptions(
        overrides=overrides,
        env=env,
        nemo1_version=nemo1_version or DEFAULT_NEMO1_VERSION,
        target_nemo=nemo.release,
        target_container=nemo.container,
        target=target,
        nemo1_version_from="default" if nemo1_version is None else "--nemo1-version",
        trainer_builder=trainer_builder,
        run=run_name,
    )
    if show_diff and check:
        raise typer.BadParameter("use either --diff or --check", param_hint="--diff")
    outputs = Outputs("diff" if show_diff else "check" if check else "write")
    if into:
        if output is not None or out_dir is not None:
            raise typer.BadParameter("--into rewrites scripts in place; it does not take -o/--out-dir", param_hint="--into")
        _convert_into(paths, [str(p) for p in into], options, outputs, trainer_line, verbose, quiet, stdin_filename)
    if trainer_line is not None:
        raise typer.BadParameter("--trainer-line only applies with --into", param_hint="--trainer-line")
    if outputs.mode != "write" and output is None and out_dir is None:
        raise typer.BadParameter("--diff/--check compare with a file: add --into, -o or --out-dir", param_hint="--diff")

    collected = collect_inputs(paths)
    inputs, missing = collected.files, collected.missing
    if output is not None and len(inputs) + len(missing) != 1:
        raise typer.BadParameter("-o/--output takes exactly one input file; use --out-dir for several", param_hint="-o")
    planned = {item.path: _planned_output(item, output, out_dir, target) for item in inputs}
    outputs.protect([item.path for item in inputs])
    conflicts = _output_conflicts(planned, outputs)
    if conflicts:
        for line in conflicts:
            print(line, file=sys.stderr)
        print(f"error: {len(conflicts)} output path(s) would overwrite an input or another output; nothing was written", file=sys.stderr)
        raise typer.Exit(2)
    counts = {"converted": 0, "skipped": 0, "failed": 0}
    for path in missing:
        print(f"{path}: no such file or directory", file=sys.stderr)
        counts["failed"] += 1
    for path in collected.special:
        if not quiet:
            print(f"{path}: skipped: not a regular file (a FIFO, device or socket)", file=sys.stderr)
        counts["skipped"] += 1

    def run_one(item) -> None:
        if item.path == STDIN:
            try:
                result = convert_config(load_config(STDIN, options, stdin_filename), options)
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
            if not quiet:
                print(f"{result.path}: skipped: {result.message}", file=sys.stderr)
            return
        parts = result.parts or (result,)
        target_path = planned[item.path]
        if len(parts) > 1 and output is not None:
            print(f"{result.path}: holds {len(parts)} training runs ({', '.join(p.run or '?' for p in parts)}): "
                  "use --out-dir, or choose one with --run NAME", file=sys.stderr)
            counts["failed"] += 1
            return
        for part in parts:
            if not quiet:
                print_findings(result.path, part.findings, verbose)
            if target_path is None:
                if len(inputs) > 1 or len(parts) > 1:
                    run = f" (run {part.run})" if part.run else ""
                    sys.stdout.write(f"# ===== nemo-migrate: {result.path}{run} =====\n")
                sys.stdout.write(part.output)
                sys.stdout.flush()
                continue
            destination = _run_output(target_path, part.run) if len(parts) > 1 else target_path
            try:
                outputs.offer(destination, part.output)
            except InputError as error:
                print(error_line(error), file=sys.stderr)
                counts["failed"] += 1
                return
        counts["converted"] += 1

    if len(inputs) > 5 and sys.stderr.isatty() and not quiet:
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as progress:
            task = progress.add_task("converting", total=len(inputs))
            for item in inputs:
                run_one(item)
                progress.advance(task)
    else:
        for item in inputs:
            run_one(item)

    if not quiet or counts["failed"]:
        print(summary_line(counts), file=sys.stderr)
    if counts["failed"]:
        raise typer.Exit(2)
    if outputs.mode != "write" and outputs.changed:
        raise typer.Exit(1)


def _convert_into(paths, scripts, options, outputs, trainer_line, verbose, quiet, stdin_filename) -> None:
    """`convert OLD.yaml --into SCRIPT.py`: exits with 0, 1 (--diff/--check: something would change) or 2."""
    from migrate.codemod.into import convert_into

    if len(paths) != 1 or os.path.isdir(paths[0]):
        raise typer.BadParameter("--into takes exactly one YAML file (or -)", param_hint="--into")
    run = convert_into(paths[0], scripts, options, outputs, trainer_line, verbose, quiet, stdin_filename)
    if not quiet or run.failed:
        print(run.summary(), file=sys.stderr)
    raise typer.Exit(run.exit_code())


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))


def main() -> None:
    app()


# --- commands added by other modules: keep each block self-contained, imports inside the function ---
# [lint] `lint` and `rule` commands
@app.command()
def lint(
    paths: Optional[List[str]] = typer.Argument(None, metavar="[PATH]...", help="Files or directories (default: .); - reads stdin."),
    output_format: Optional[str] = typer.Option(None, "--output-format", help="full (default), concise, json, json-lines, github (default under GitHub Actions), sarif, junit."),
    output_file: Optional[str] = typer.Option(None, "--output-file", metavar="FILE", help="Write the results here instead of stdout."),
    select: Optional[List[str]] = typer.Option(None, "--select", metavar="CODES", help="Rules to run: codes, prefixes (NMP1), names or ALL; replaces the configured selection."),
    extend_select: List[str] = typer.Option([], "--extend-select", metavar="CODES", help="Rules to add to the selection."),
    ignore: List[str] = typer.Option([], "--ignore", metavar="CODES", help="Rules to leave out."),
    config: List[str] = typer.Option([], "--config", metavar="FILE|KEY=VALUE", help="A TOML file to use instead of the tool.nemo-migrate table of pyproject.toml, or one setting such as 'fail-on = \"error\"'."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Lowest severity that makes the exit status 1: error, warning (default) or info."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even with diagnostics (2 still means a usage error or unreadable input)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No summary or progress on stderr."),
    color: str = typer.Option("auto", "--color", help="auto, always or never (NO_COLOR is honoured)."),
    statistics: bool = typer.Option(False, "--statistics", help="Print the number of diagnostics per rule instead of the diagnostics."),
    stdin_filename: Optional[str] = typer.Option(None, "--stdin-filename", help="Name to report for input read from stdin."),
    target_nemo: Optional[str] = typer.Option(None, "--target-nemo", help="What the migration hazards refer to: " + TARGET_NEMO_HELP),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", help="NeMo 1.x semantics legacy configs ran with (default 1.23)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable). The process environment is never read."),
) -> None:
    """Check precision configs (NeMo 1.0 YAML, NeMo AutoModel YAML, NeMo 2.0 / Megatron Bridge Python) for CI."""
    from migrate.lint.command import LintRequest, run_lint

    _choice(color, ("auto", "always", "never"), "--color")
    request = LintRequest(
        paths=tuple(paths or ["."]),
        output_format=output_format,
        output_file=output_file,
        select=tuple(select) if select else None,
        extend_select=tuple(extend_select),
        ignore=tuple(ignore),
        config=tuple(config),
        fail_on=fail_on,
        exit_zero=exit_zero,
        quiet=quiet,
        color=color,
        statistics=statistics,
        stdin_filename=stdin_filename,
        nemo1_version=nemo1_version,
        target_nemo=target_nemo,
        env=tuple(env_values),
    )
    raise typer.Exit(run_lint(request))


@app.command()
def rule(
    code: Optional[str] = typer.Argument(None, metavar="CODE", help="A rule code (NMP101) or name (fp8-format-missing)."),
    all_rules: bool = typer.Option(False, "--all", help="Explain every rule."),
    output_format: str = typer.Option("text", "--output-format", help="text (Markdown) or json."),
) -> None:
    """Explain a lint rule: what it checks, why, and an example with its fix."""
    import json

    from migrate.lint.registry import RULES, find_rule
    from migrate.lint.ruledoc import all_rules_markdown, rule_markdown, rule_record

    _choice(output_format, ("text", "json"), "--output-format")
    if all_rules == (code is not None):
        raise typer.BadParameter("give a rule CODE or --all", param_hint="CODE")
    rules = list(RULES.values()) if all_rules else [find_rule(code)]
    if rules[0] is None:
        print(f"error: no rule {code!r}; `nemo-migrate rule --all` lists them", file=sys.stderr)
        raise typer.Exit(2)
    if output_format == "json":
        records = [rule_record(r) for r in rules]
        typer.echo(json.dumps(records if all_rules else records[0], indent=2))
    else:
        typer.echo(all_rules_markdown(rules) if all_rules else rule_markdown(rules[0]), nl=False)
# [end lint]
# [verify] `verify` command
@app.command()
def verify(
    yaml_path: str = typer.Argument(..., metavar="OLD.yaml", help="The NeMo 1.0 YAML config (the legacy side)."),
    generated: Optional[str] = typer.Option(None, "--generated", metavar="NEW.py", help="Module (AutoModel: YAML) written by `convert --target` (default: convert OLD.yaml now)."),
    target: str = typer.Option("nemo2", "--target", help="Migrated side: nemo2 (MegatronMixedPrecision), bridge (Megatron Bridge MixedPrecisionConfig or recipe name, bitwise), automodel (AutoModel YAML; torchao FP8, approximate)."),
    script: Optional[str] = typer.Option(None, "--script", metavar="train.py", help="A hand-migrated NeMo 2.0 script holding one MegatronMixedPrecision(...) call."),
    steps: int = typer.Option(10, "--steps", min=1, max=1000, help="Training steps of the numeric check (delayed scaling needs several)."),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="OUT", help="Write every figure as JSON (- for stdout; the table then goes to stderr)."),
    plot_out: Optional[str] = typer.Option(None, "--plot", metavar="OUT.png", help="Plot the per-step difference, distances, FP8 scales and loss-scale histories: needs the numeric check (CUDA + Transformer Engine) and matplotlib."),
    require_gpu: bool = typer.Option(False, "--require-gpu", help="Exit 3 if the numeric check cannot run (no CUDA or Transformer Engine)."),
    gpus: int = typer.Option(1, "--gpus", min=1, max=64, metavar="N", help="Train the numeric check data-parallel on N GPUs (N >= 2: spawned processes over NCCL; compares per rank, incl. amax reduction and gradient all-reduce dtype)."),
    no_numeric: bool = typer.Option(False, "--no-numeric", help="Run the structural check only."),
    benchmark: bool = typer.Option(False, "--benchmark", help="Also time the layer at hidden 4096 / 8192 tokens in FP8 and without (needs the numeric check: CUDA + Transformer Engine)."),
    strict: bool = typer.Option(False, "--strict", help="Count known NeMo 2.0 limitations (e.g. O1) as differences."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Hydra-style override of the YAML (repeatable)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable)."),
    target_nemo: str = typer.Option(nemo_releases.DEFAULT, "--target-nemo", help="Whose plugin semantics apply: " + TARGET_NEMO_HELP),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", help=NEMO1_HELP),
    trainer_builder: Optional[str] = typer.Option(None, "--trainer-builder", help=BUILDER_HELP),
    run_name: Optional[str] = typer.Option(None, "--run", metavar="NAME", help="In a file holding several runs, verify this one."),
) -> None:
    """Prove the migrated settings train like the legacy ones: settings side by side, then bitwise on a GPU.

    Exit status: 0 equivalent, 1 not equivalent, 2 bad input, 3 --require-gpu but no CUDA / Transformer
    Engine / enough GPUs here, 4 the numeric check failed while running (never a pass), 5 differs within
    tolerance (what NeMo 2.0 cannot express, e.g. O1, moves training less than the documented tolerance).
    """
    from migrate.convert import ConvertOptions
    from migrate.legacy.overrides import OverrideSyntaxError, parse_env, parse_override
    from migrate.verify.command import VerifyRequest, run_verify

    _nemo1_version(nemo1_version)
    if trainer_builder is not None:
        _choice(trainer_builder, TRAINER_BUILDERS, "--trainer-builder")
    _choice(target, ("nemo2", "bridge", "automodel"), "--target")
    nemo = _target_nemo(target_nemo, target)
    if generated is not None and script is not None:
        raise typer.BadParameter("use either --generated or --script", param_hint="--generated")
    if no_numeric and (require_gpu or benchmark or gpus > 1):
        raise typer.BadParameter("--no-numeric contradicts --require-gpu/--benchmark/--gpus", param_hint="--no-numeric")
    if gpus > 1 and target == "automodel":
        raise typer.BadParameter("the approximate AutoModel check runs on one GPU", param_hint="--gpus")
    try:
        overrides = tuple(parse_override(item) for item in set_values)
        env = parse_env(env_values)
    except OverrideSyntaxError as error:
        raise typer.BadParameter(str(error)) from None
    options = ConvertOptions(
        overrides=overrides,
        env=env,
        nemo1_version=nemo1_version or DEFAULT_NEMO1_VERSION,
        target_nemo=nemo.release,
        target_container=nemo.container,
        target=target,
        nemo1_version_from="default" if nemo1_version is None else "--nemo1-version",
        trainer_builder=trainer_builder,
        run=run_name,
    )
    request = VerifyRequest(
        yaml_path, options, generated or script, steps, not no_numeric, require_gpu, benchmark, strict, json_out, plot_out,
        gpus=gpus,
    )
    from rich.console import Console

    width = None if sys.stdout.isatty() else 160
    raise typer.Exit(run_verify(request, Console(no_color=bool(os.environ.get("NO_COLOR")), width=width)))
# [end verify]
