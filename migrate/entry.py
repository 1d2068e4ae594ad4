"""The `nemo-migrate` executable: routes `lint` runs to a light front end before typer is imported.

CI runs `nemo-migrate lint` on every commit, often on one file, so its start-up matters; typer
costs a few hundred milliseconds before any work. `lint` (its `--help` included) is parsed by
migrate/lint/fastcli.py alone; the other commands' help is laid out like it (migrate/help_text.py).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["lint"]:
        from migrate.lint.fastcli import main as lint_main

        sys.exit(lint_main(args[1:]))
    from migrate.cli import app

    try:  # typer >= 0.2x vendors click; older typer raises click's own exceptions
        from typer import TyperException as ClickError
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click.exceptions import ClickException as ClickError
    try:
        code = app(args=args, prog_name="nemo-migrate", standalone_mode=False)
    except ClickError as error:  # one error shape for every command: `error: ...` and a hint
        from migrate.usage import print_usage_error

        ctx = getattr(error, "ctx", None)
        command = ctx.info_name if ctx is not None and ctx.parent is not None else None
        print_usage_error(_usage_message(error), command)
        sys.exit(getattr(error, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_message(error) -> str:
    """click's message with the option it concerns, without click's own framing."""
    message = error.format_message()
    hint = getattr(error, "param_hint", None)
    if hint and isinstance(hint, str) and hint not in message:
        return f"{hint}: {message}"
    return message


if __name__ == "__main__":
    main()
