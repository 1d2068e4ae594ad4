"""One error shape for usage errors of every command: `error: <what>` and a `hint:` line, exit status 2."""

from __future__ import annotations

import sys


class UsageError(Exception):
    """Options that contradict each other or name nothing (a usage error, exit status 2).

    `option` names the option at fault; the hint points at the command's help."""

    def __init__(self, message: str, option: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.option = option
        self.hint = hint


def print_usage_error(message: str, command: str | None = None, hint: str | None = None) -> None:
    print(f"error: {message}", file=sys.stderr)
    help_command = f"nemo-migrate {command} --help" if command else "nemo-migrate --help"
    print(f"hint: {hint}" if hint else f"hint: `{help_command}` lists the options", file=sys.stderr)
