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

        if type(error).__name__ == "NoArgsIsHelpError":  # bare `nemo-migrate`: the help, as ruff prints it
            print(error.format_message(), file=sys.stderr)
            sys.exit(2)

        ctx = getattr(error, "ctx", None)
        command = ctx.info_name if ctx is not None and ctx.parent is not None else None
        print_usage_error(_usage_message(error), command, _did_you_mean(error, command))
        sys.exit(getattr(error, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _did_you_mean(error, command: str | None) -> str | None:
    """For an unknown option, the close one as lint's parser suggests it (click lists loose matches)."""
    import difflib

    wrong, options = getattr(error, "option_name", None), getattr(error, "possibilities", None)
    if not wrong or options is None or getattr(error, "ctx", None) is None:
        return None
    known = [o for p in error.ctx.command.params for o in (*getattr(p, "opts", ()), *getattr(p, "secondary_opts", ()))]
    close = difflib.get_close_matches(wrong, known, n=1, cutoff=0.7)
    where = f"nemo-migrate {command} --help" if command else "nemo-migrate --help"
    return f"did you mean {close[0]}? (`{where}` lists the options)" if close else None


def _usage_message(error) -> str:
    """click's message with the option it concerns, without click's own framing."""
    message = error.format_message()
    if getattr(error, "possibilities", None) is not None:  # an unknown option: the hint says what was meant
        message = message.split(" (Possible options:")[0].split(" Did you mean")[0]
    hint = getattr(error, "param_hint", None)
    if hint and isinstance(hint, str) and hint not in message:
        return f"{hint}: {message}"
    return message


if __name__ == "__main__":
    main()
