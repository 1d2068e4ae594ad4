"""The `nemo-migrate` command line (typer). Heavy imports stay inside the commands."""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from migrate import __version__, nemo_releases
from migrate.legacy.versions import DEFAULT_NEMO1_VERSION


class _Group(TyperGroup):
    """`nemo-migrate --help` in the layout every command's help shares (migrate/help_text.py)."""

    def format_help(self, ctx, formatter) -> None:
        from migrate.help_text import group_help

        formatter.write(group_help(self, ctx))


class _Command(TyperCommand):
    """A command whose `--help` lists options with placeholders, not Python types (migrate/help_text.py)."""

    def format_help(self, ctx, formatter) -> None:
        from migrate.help_text import command_help

        formatter.write(command_help(self, ctx))


app = typer.Typer(
    cls=_Group,
    add_completion=False,
    no_args_is_help=True,
    help="Move NeMo 1.0 precision configs to NeMo 2.0 without silently changing their numerics.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

NEMO1_HELP = (
    "NeMo 1.x release the config ran with: 1.5 .. 1.23, 2.x (the NeMo 1.0 code inside NeMo 2.x containers), "
    f"or a container tag such as 23.10 (default: {DEFAULT_NEMO1_VERSION})."
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
    version: bool = typer.Option(False, "-V", "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Move NeMo 1.0 precision configs to NeMo 2.0 without silently changing their numerics."""


TRAINER_BUILDERS = ("gpt", "bert", "t5", "lmpp")


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


@app.command(cls=_Command)
def convert(
    paths: List[str] = typer.Argument(..., metavar="PATH...", help="YAML files, directories (searched recursively for *.yaml/*.yml), or - for stdin."),
    output: Optional[str] = typer.Option(None, "-o", "--output-file", "--output", metavar="FILE", help="Write the module here (one input only; - for stdout)."),
    out_dir: Optional[str] = typer.Option(None, "--out-dir", metavar="DIR", help="Write one module per input below DIR, mirroring the input tree (importable module names)."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Hydra-style override, e.g. model.fp8=True (repeatable; ~KEY deletes)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable). The process environment is never read."),
    target_nemo: Optional[str] = typer.Option(None, "--target-nemo", metavar="RELEASE", help="Whose MegatronMixedPrecision signature to emit: " + TARGET_NEMO_HELP),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", metavar="RELEASE", help=NEMO1_HELP),
    trainer_builder: Optional[str] = typer.Option(None, "--trainer-builder", metavar="BUILDER", help=BUILDER_HELP),
    run_name: Optional[str] = typer.Option(None, "--run", metavar="NAME", help="In a file holding several runs (e.g. actor and critic), convert only this one."),
    stdin_filename: str = typer.Option("<stdin>", "--stdin-filename", metavar="NAME", help="Name to report for input read from stdin."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Also print informational notes on stderr."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="On stderr, print only errors and, with --check/--diff, the files that would change; the summary line only when something failed."),
    into: List[str] = typer.Option([], "--into", metavar="SCRIPT", help="Rewrite the precision plugin of this existing NeMo 2.0 script (or AutoModel recipe) in place (repeatable; one YAML input)."),
    show_diff: bool = typer.Option(False, "--diff", help="Print a unified diff of every file that would change; write nothing; exit 1 if any would."),
    check: bool = typer.Option(False, "--check", help="Write nothing; list the files that would change on stderr; exit 1 if any would."),
    trainer_line: Optional[int] = typer.Option(None, "--trainer-line", metavar="LINE", min=1, help="With --into: the trainer (or plugin) call on this line is the one to edit."),
    target: str = typer.Option("nemo2", "--target", metavar="TARGET", help="What to write: nemo2 (nl.MegatronMixedPrecision module), bridge (Megatron Bridge MixedPrecisionConfig module) or automodel (NeMo AutoModel YAML blocks)."),
    config: List[str] = typer.Option([], "--config", metavar="FILE|KEY=VALUE", help="A TOML file to use instead of [tool.nemo-migrate] in pyproject.toml, or one setting such as 'nemo1-version = \"1.22\"'."),
    select: Optional[List[str]] = typer.Option(None, "--select", metavar="CODES", help="Findings to print: codes, prefixes (NMP12), names or ALL (the generated file's REVIEW block always lists all)."),
    extend_select: List[str] = typer.Option([], "--extend-select", metavar="CODES", help="Findings to add to the selection."),
    ignore: List[str] = typer.Option([], "--ignore", metavar="CODES", help="Findings not to print."),
    exclude: List[str] = typer.Option([], "--exclude", metavar="GLOB", help="Skip files matching this glob in directories (adds to the configured exclude)."),
    force_exclude: bool = typer.Option(False, "--force-exclude", help="Apply exclude to files named on the command line too."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the resolved settings and where each came from, then exit."),
    show_files: bool = typer.Option(False, "--show-files", help="Print the files that would be converted, then exit."),
    color: str = typer.Option("auto", "--color", metavar="WHEN", help="auto, always or never (NO_COLOR is honoured)."),
) -> None:
    """Convert NeMo 1.0 YAML configs into NeMo 2.0 `nl.MegatronMixedPrecision` modules, or into existing scripts."""
    from migrate.convert_command import ConvertRequest, run_convert

    _choice(target, ("nemo2", "bridge", "automodel"), "--target")
    _choice(color, ("auto", "always", "never"), "--color")
    request = ConvertRequest(
        paths=tuple(paths), output=output, out_dir=out_dir, set_values=tuple(set_values), env_values=tuple(env_values),
        target_nemo=target_nemo, nemo1_version=nemo1_version, trainer_builder=trainer_builder, run=run_name,
        stdin_filename=stdin_filename, verbose=verbose, quiet=quiet, into=tuple(into), diff=show_diff, check=check,
        trainer_line=trainer_line, target=target, config=tuple(config), select=tuple(select) if select else None,
        extend_select=tuple(extend_select), ignore=tuple(ignore), exclude=tuple(exclude), force_exclude=force_exclude,
        show_settings=show_settings, show_files=show_files, color=color,
    )
    raise typer.Exit(_run("convert", run_convert, request))


def _run(command: str, function, request) -> int:
    """Run a command; a usage error becomes the shared `error:` / `hint:` lines and exit status 2."""
    from migrate.usage import UsageError, print_usage_error

    try:
        return function(request)
    except UsageError as error:
        hint = f"see `nemo-migrate {command} --help` for {error.option}" if error.option else None
        print_usage_error(error.message, command, hint)
        return 2


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")))


def main() -> None:
    app()


# --- commands added by other modules: keep each block self-contained, imports inside the function ---
# [lint] `lint` and `rule` commands
@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def lint(ctx: typer.Context) -> None:
    """Check precision configs (NeMo 1.0 YAML, NeMo AutoModel YAML, NeMo 2.0 / Megatron Bridge Python) for CI."""
    from migrate.lint.fastcli import main as lint_main

    # One parser: `lint` is parsed (help included) by migrate.lint.fastcli, which starts fast.
    raise typer.Exit(lint_main(list(ctx.args)))


@app.command(cls=_Command)
def rule(
    code: Optional[str] = typer.Argument(None, metavar="CODE", help="A rule code (NMP101) or name (fp8-format-missing)."),
    all_rules: bool = typer.Option(False, "--all", help="Explain every rule."),
    output_format: str = typer.Option("text", "--output-format", metavar="FORMAT", help="text (Markdown) or json."),
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
@app.command(cls=_Command)
def verify(
    yaml_path: str = typer.Argument(..., metavar="OLD.yaml", help="The NeMo 1.0 YAML config (the legacy side)."),
    generated: Optional[str] = typer.Option(None, "--generated", metavar="NEW", help="Module (AutoModel: YAML) written by `convert --target` (default: convert OLD.yaml now)."),
    target: str = typer.Option("nemo2", "--target", metavar="TARGET", help="Migrated side: nemo2 (MegatronMixedPrecision), bridge (Megatron Bridge MixedPrecisionConfig or recipe name, bitwise), automodel (AutoModel YAML; torchao FP8, approximate)."),
    script: Optional[str] = typer.Option(None, "--script", metavar="SCRIPT", help="A hand-migrated NeMo 2.0 script (its MegatronMixedPrecision(...) call, or a trainer precision string)."),
    steps: int = typer.Option(10, "--steps", min=1, max=1000, metavar="N", help="Training steps of the numeric check (1-1000; delayed scaling needs several)."),
    json_out: Optional[str] = typer.Option(None, "-o", "--output-file", "--json", metavar="FILE", help="Write every figure as a JSON report (- for stdout; the table then goes to stderr)."),
    plot_out: Optional[str] = typer.Option(None, "--plot", metavar="FILE.png", help="Plot the per-step difference, distances, FP8 scales and loss-scale histories: needs the numeric check (CUDA + Transformer Engine) and matplotlib."),
    require_gpu: bool = typer.Option(False, "--require-gpu", help="Exit 3 if the numeric check cannot run (no CUDA or Transformer Engine)."),
    gpus: int = typer.Option(1, "--gpus", min=1, max=64, metavar="N", help="Train the numeric check data-parallel on N GPUs (N >= 2: spawned processes over NCCL; compares per rank, incl. amax reduction and gradient all-reduce dtype)."),
    no_numeric: bool = typer.Option(False, "--no-numeric", help="Run the structural check only."),
    benchmark: bool = typer.Option(False, "--benchmark", help="Also time the layer at hidden 4096 / 8192 tokens in FP8 and without (needs the numeric check: CUDA + Transformer Engine)."),
    strict: bool = typer.Option(False, "--strict", help="Count known NeMo 2.0 limitations (e.g. O1) as differences."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Hydra-style override of the YAML (repeatable)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable)."),
    target_nemo: Optional[str] = typer.Option(None, "--target-nemo", metavar="RELEASE", help="Whose plugin semantics apply: " + TARGET_NEMO_HELP),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", metavar="RELEASE", help=NEMO1_HELP),
    trainer_builder: Optional[str] = typer.Option(None, "--trainer-builder", metavar="BUILDER", help=BUILDER_HELP),
    run_name: Optional[str] = typer.Option(None, "--run", metavar="NAME", help="In a file holding several runs, verify this one."),
    config: List[str] = typer.Option([], "--config", metavar="FILE|KEY=VALUE", help="A TOML file to use instead of [tool.nemo-migrate] in pyproject.toml, or one setting."),
    legacy: Optional[str] = typer.Option(None, "--legacy", metavar="RECORD.json", help="Take the legacy side from this record (written by `nemo-migrate snapshot` where the old training ran) instead of nemo-migrate's model."),
    show_settings: bool = typer.Option(False, "--show-settings", help="Print the resolved settings and where each came from, then exit."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No table: only the verdict line and errors."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Also show the rows that are equal (the default shows them too; kept for symmetry)."),
    color: str = typer.Option("auto", "--color", metavar="WHEN", help="auto, always or never (NO_COLOR is honoured)."),
) -> None:
    """Prove the migrated settings train like the legacy ones: settings side by side, then bitwise on a GPU.

    Exit status: 0 equivalent, 1 not equivalent, 2 bad input, 3 --require-gpu but no CUDA / Transformer
    Engine / enough GPUs here, 4 the numeric check failed while running (never a pass), 5 differs within
    tolerance (what NeMo 2.0 cannot express, e.g. O1, moves training less than the documented tolerance).
    """
    from migrate.verify.command import VerifyArguments, run_verify_command

    _choice(target, ("nemo2", "bridge", "automodel"), "--target")
    _choice(color, ("auto", "always", "never"), "--color")
    arguments = VerifyArguments(
        yaml_path=yaml_path, python_path=generated or script, both_given=generated is not None and script is not None,
        target=target, steps=steps, json_path=json_out, plot_path=plot_out, require_gpu=require_gpu, gpus=gpus,
        numeric=not no_numeric, benchmark=benchmark, strict=strict, set_values=tuple(set_values), env_values=tuple(env_values),
        target_nemo=target_nemo, nemo1_version=nemo1_version, trainer_builder=trainer_builder, run=run_name,
        config=tuple(config), show_settings=show_settings, quiet=quiet, verbose=verbose, color=color, legacy_path=legacy,
    )
    raise typer.Exit(_run("verify", run_verify_command, arguments))
# [end verify]
# [snapshot] `snapshot` command
@app.command(cls=_Command)
def snapshot(
    yaml_path: str = typer.Argument(..., metavar="OLD.yaml", help="The NeMo 1.0 YAML config the old training ran with."),
    output: str = typer.Option(..., "-o", "--output-file", metavar="RECORD.json", help="Where to write the legacy record (for `verify --legacy`)."),
    set_values: List[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Hydra-style override of the YAML (repeatable)."),
    env_values: List[str] = typer.Option([], "--env", metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable)."),
    nemo1_version: Optional[str] = typer.Option(None, "--nemo1-version", metavar="RELEASE", help=NEMO1_HELP),
    trainer_builder: Optional[str] = typer.Option(None, "--trainer-builder", metavar="BUILDER", help=BUILDER_HELP),
    run_name: Optional[str] = typer.Option(None, "--run", metavar="NAME", help="In a file holding several runs, record this one."),
    config: List[str] = typer.Option([], "--config", metavar="FILE|KEY=VALUE", help="A TOML file to use instead of [tool.nemo-migrate] in pyproject.toml, or one setting."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="Errors and warnings only (no \"wrote\" line)."),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Also print every recorded row and where it came from."),
    color: str = typer.Option("auto", "--color", metavar="WHEN", help="auto, always or never (accepted for the same command line everywhere; snapshot prints plain text)."),
) -> None:
    """Record the legacy side where the old training ran: NeMo 1.x's own values when it is importable.

    With NeMo 1.x installed, its trainer builder and model compute the settings; without it, the record
    holds nemo-migrate's own model and says so. Exit status: 0 written, 2 bad input (or a config NeMo
    1.x refuses), 4 NeMo 1.x is installed but its run failed.
    """
    from migrate.verify.snapshot import SnapshotArguments, run_snapshot

    _choice(color, ("auto", "always", "never"), "--color")
    arguments = SnapshotArguments(
        yaml_path=yaml_path, output=output, set_values=tuple(set_values), env_values=tuple(env_values),
        nemo1_version=nemo1_version, trainer_builder=trainer_builder, run=run_name, config=tuple(config),
        quiet=quiet, verbose=verbose,
    )
    raise typer.Exit(_run("snapshot", run_snapshot, arguments))
# [end snapshot]
