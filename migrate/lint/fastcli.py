"""The `lint` command line: the one parser of `nemo-migrate lint` (also `python -m migrate.lint`).

Typer builds a pydantic adapter for every parameter, and importing pydantic costs a few hundred
milliseconds, more than linting one file. So `lint` is parsed here with argparse, help included;
the typer app only forwards to it. Errors have the shape every command uses: `error: ...` and a
`hint:` line, exit status 2.
"""

from __future__ import annotations

import argparse
import difflib
import sys

from migrate.lint.command import LintRequest, run_lint

DESCRIPTION = (
    "Check precision configs (NeMo 1.0 YAML, NeMo AutoModel YAML, NeMo 2.0 / Megatron Bridge Python) for CI.\n\n"
    "Exit status: 0 nothing at or above --fail-on, 1 a diagnostic at or above it, 2 a usage error or an input "
    "that cannot be read or parsed."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # noqa: D401 - argparse's hook
        from migrate.usage import print_usage_error

        hint = None
        if message.startswith("unrecognized arguments:"):
            wrong = message.split(":", 1)[1].split()[0].split("=")[0]
            options = [o for action in self._actions for o in action.option_strings]
            close = difflib.get_close_matches(wrong, options, n=1, cutoff=0.7)
            if close:
                hint = f"did you mean {close[0]}? (`nemo-migrate lint --help` lists the options)"
        print_usage_error(message, "lint", hint)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    from migrate.help_text import HELP_OPTION_HELP, ParagraphFormatter

    parser = _Parser(prog="nemo-migrate lint", usage="nemo-migrate lint [OPTIONS] [PATH...]", description=DESCRIPTION,
                     allow_abbrev=False, add_help=False, formatter_class=ParagraphFormatter)
    parser.add_argument_group("arguments").add_argument(
        "paths", nargs="*", metavar="PATH", help="Files or directories (default: .); - reads stdin.")
    add = parser.add_argument_group("options").add_argument
    add("--output-format", metavar="FORMAT", help="full (default), concise, json, json-lines, github (default under GitHub Actions), sarif, junit.")
    add("-o", "--output-file", metavar="FILE", help="Write the results here (atomically) instead of stdout; - is stdout.")
    add("--select", action="append", metavar="CODES", help="Rules to run: codes, prefixes (NMP1), names or ALL; replaces the configured selection.")
    add("--extend-select", action="append", default=[], metavar="CODES", help="Rules to add to the selection.")
    add("--ignore", action="append", default=[], metavar="CODES", help="Rules to leave out.")
    add("--config", action="append", default=[], metavar="FILE|KEY=VALUE",
        help="A TOML file to use instead of [tool.nemo-migrate] in pyproject.toml, or one setting such as 'fail-on = \"error\"'.")
    add("--fail-on", metavar="SEVERITY", help="Lowest severity that makes the exit status 1: error, warning (default) or info.")
    add("--min-severity", metavar="SEVERITY", help="Lowest severity shown (default: the --fail-on severity).")
    add("--show-info", action="store_true", help="Also show informational diagnostics (--min-severity info).")
    add("--exit-zero", action="store_true", help="Exit 0 even with diagnostics (2 still means a usage error or unreadable input).")
    add("--exclude", action="append", default=[], metavar="GLOB", help="Skip files matching this glob in directories (adds to the configured exclude).")
    add("--force-exclude", action="store_true", help="Apply exclude to files named on the command line too (for pre-commit).")
    add("-q", "--quiet", action="store_true", help="No summary or progress on stderr.")
    add("-v", "--verbose", action="store_true", help="Same as --show-info.")
    add("--color", default="auto", choices=("auto", "always", "never"), metavar="WHEN", help="auto (default), always or never (NO_COLOR is honoured).")
    add("--statistics", action="store_true", help="Print the number of diagnostics per rule instead of the diagnostics.")
    add("--stdin-filename", metavar="NAME", help="Name to report for input read from stdin.")
    add("--target-nemo", metavar="RELEASE", help="NeMo 2.x release (or container tag) the migration hazards refer to (default: the newest).")
    add("--nemo1-version", metavar="RELEASE", help="NeMo 1.x release legacy configs ran with (default 1.23).")
    add("--env", action="append", default=[], metavar="NAME=VALUE", help="Value for ${oc.env:NAME} (repeatable). The process environment is never read.")
    add("--show-settings", action="store_true", help="Print the resolved settings, then exit.")
    add("--show-files", action="store_true", help="Print the files that would be linted, then exit.")
    add("-h", "--help", action="help", help=HELP_OPTION_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2
    request = LintRequest(
        paths=tuple(args.paths or ["."]),
        output_format=args.output_format,
        output_file=args.output_file,
        select=tuple(args.select) if args.select else None,
        extend_select=tuple(args.extend_select),
        ignore=tuple(args.ignore),
        config=tuple(args.config),
        fail_on=args.fail_on,
        exit_zero=args.exit_zero,
        quiet=args.quiet,
        color=args.color,
        statistics=args.statistics,
        stdin_filename=args.stdin_filename,
        nemo1_version=args.nemo1_version,
        target_nemo=args.target_nemo,
        env=tuple(args.env),
        min_severity=args.min_severity,
        show_info=args.show_info or args.verbose,
        exclude=tuple(args.exclude),
        force_exclude=args.force_exclude,
        show_settings=args.show_settings,
        show_files=args.show_files,
        verbose=args.verbose,
    )
    return run_lint(request)


if __name__ == "__main__":
    sys.exit(main())
