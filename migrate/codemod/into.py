"""`nemo-migrate convert OLD.yaml --into train.py`: one legacy config, rewritten into existing files.

NeMo 2.0 scripts get their precision plugin rewritten (libcst); with `--target automodel` the
files are AutoModel YAML recipes whose precision blocks are merged (ruamel.yaml, comments kept).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from migrate.codemod.rewrite import Rewrite, rewrite_script
from migrate.convert import ConvertOptions, composed_notice, load_config, spec_for
from migrate.errors import InputError
from migrate.legacy.layout import Skip
from migrate.plan.targets import plan_nemo2
from migrate.preview import Outputs
from migrate.report import error_line, print_findings
from migrate.spec import Finding, PrecisionSpec

Rewriter = Callable[[str, str, "int | None"], Rewrite]


def _rewriter(spec: PrecisionSpec, options: ConvertOptions) -> tuple[tuple[Finding, ...], Rewriter]:
    """The findings of the migration and the function that rewrites one existing file's text."""
    if options.target == "automodel":
        from migrate.emit.automodel_yaml import merge_into
        from migrate.plan.automodel import plan_automodel

        automodel = plan_automodel(spec)
        return automodel.findings, lambda text, path, _line: Rewrite(merge_into(text, automodel.entries, path), ())
    plan = plan_nemo2(spec, options.target_nemo)
    return plan.findings, lambda text, path, line: rewrite_script(text, path, plan, line)


@dataclass(frozen=True)
class _Shown:
    """What the finding filter reads: the findings and the YAML text (for `# noqa`)."""

    findings: tuple[Finding, ...]
    text: str


@dataclass
class IntoRun:
    """Counts for the closing summary line; `exit_code` follows the convert command's rules."""

    outputs: Outputs
    rewritten: int = 0
    unchanged: int = 0
    failed: int = 0

    def summary(self) -> str:
        verb = "rewritten" if self.outputs.mode == "write" else "would change"
        return f"{self.rewritten} {verb}, {self.unchanged} unchanged, {self.failed} failed"

    def exit_code(self) -> int:
        if self.failed:
            return 2
        return 1 if self.outputs.mode != "write" and self.rewritten else 0


def read_script(path: str) -> str:
    """The script's exact text (line endings kept); bounded, regular files only."""
    from migrate.inputs import read_input_text

    return read_input_text(path, keep_newlines=True)


def convert_into(
    config_path: str,
    scripts: list[str],
    options: ConvertOptions,
    outputs: Outputs,
    trainer_line: int | None = None,
    verbose: bool = False,
    quiet: bool = False,
    stdin_filename: str = "<stdin>",
    show=None,
) -> IntoRun:
    """`show(path, result)` picks the findings to print (selection and `# noqa`); all by default."""
    run = IntoRun(outputs)
    outputs.protect([config_path])
    clashes = [script for script in scripts if outputs.input_named(script) is not None]
    if clashes:
        for script in clashes:
            print(f"{script}: is the config this run reads; --into never overwrites an input", file=sys.stderr)
        run.failed += len(clashes)
        return run
    try:
        config = load_config(config_path, options, stdin_filename)
        spec = spec_for(config, options)
        if isinstance(spec, Skip):
            if not quiet:
                print(f"{config.path}: skipped: {spec.reason}; no script was changed", file=sys.stderr)
            return run
        findings, rewrite = _rewriter(spec, options)
    except InputError as error:
        print(error_line(error), file=sys.stderr)
        run.failed += 1
        return run
    if not quiet:
        shown = composed_notice(spec) + tuple(findings)
        if show is not None:
            shown = show(config.path, _Shown(shown, config.document.text))
        print_findings(config.path, shown, verbose)
    for script in scripts:
        try:
            before = read_script(script)
            result = rewrite(before, script, trainer_line)
            if not quiet:
                print_findings(script, result.findings, verbose)
            changed = outputs.offer(script, result.text, before, known=True)
        except InputError as error:
            print(error_line(error), file=sys.stderr)
            run.failed += 1
            continue
        except RecursionError:  # a last resort: the parse guard keeps trees shallower than this
            print(f"{script}: nested too deeply to rewrite", file=sys.stderr)
            run.failed += 1
            continue
        if changed:
            run.rewritten += 1
        else:
            run.unchanged += 1
    return run
