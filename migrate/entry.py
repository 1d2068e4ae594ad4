"""The `nemo-migrate` executable: routes `lint` runs to a light front end before typer is imported.

CI runs `nemo-migrate lint` on every commit, often on one file, so its start-up matters; typer
costs a few hundred milliseconds before any work. `lint --help` still goes through typer, so the
help text is the same everywhere.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["lint"] and not {"-h", "--help"} & set(args[1:]):
        from migrate.lint.fastcli import main as lint_main

        sys.exit(lint_main(args[1:]))
    from migrate.cli import app

    app(args=args, prog_name="nemo-migrate")


if __name__ == "__main__":
    main()
