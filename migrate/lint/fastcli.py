"""`python -m migrate.lint`: the `lint` command without typer's start-up cost.

Typer builds a pydantic adapter for every parameter, and importing pydantic costs a few hundred
milliseconds, more than linting one file. This parser accepts exactly the options of
`nemo-migrate lint` (a test keeps the two in step) and runs the same code.
"""

from __future__ import annotations

import argparse
import sys

from migrate.lint.command import LintRequest, run_lint


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nemo-migrate lint", description="Check precision configs for CI.")
    parser.add_argument("paths", nargs="*", metavar="PATH")
    parser.add_argument("--output-format")
    parser.add_argument("--output-file")
    parser.add_argument("--select", action="append")
    parser.add_argument("--extend-select", action="append", default=[])
    parser.add_argument("--ignore", action="append", default=[])
    parser.add_argument("--config", action="append", default=[])
    parser.add_argument("--fail-on")
    parser.add_argument("--exit-zero", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--color", default="auto", choices=("auto", "always", "never"))
    parser.add_argument("--statistics", action="store_true")
    parser.add_argument("--stdin-filename")
    parser.add_argument("--target-nemo")
    parser.add_argument("--nemo1-version")
    parser.add_argument("--env", action="append", default=[])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2, as with typer
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
    )
    return run_lint(request)


if __name__ == "__main__":
    sys.exit(main())
