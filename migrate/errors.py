"""The one error type bad input becomes: a located, one-line message (exit status 2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE = 2000  # characters of one reported line; longer ones end in "..." (echoed values are shortened first)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` as one printable line: control characters and line breaks escaped, length bounded."""
    escaped = _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)
    if len(escaped) > limit:
        return escaped[: limit - 3] + "..."
    return escaped


def shortened(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(text)} characters)"


def shown(value: Any, limit: int = 60) -> str:
    """A value echoed in a message: its repr, shortened to `limit` characters."""
    text = repr(value)
    if len(text) > limit:
        return f"{text[: limit - 3]}... ({len(text)} characters)"
    return text


@dataclass(frozen=True)
class Location:
    """A place in an input file; line and column are 1-based, None when unknown."""

    path: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.col is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


class InputError(Exception):
    """Input the tool refuses: unreadable, not YAML, or a config NeMo 1.0 itself would reject.

    `code` is the NMP rule that owns the refusal (NMP002 unreadable input, NMP100 a config NeMo 1.0
    refuses, or a more specific rule such as NMP101); None for options and outputs."""

    def __init__(self, location: Location, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return one_line(f"{self.location}: {self.message}")


class Unreadable(InputError):
    """An input that cannot be read or parsed (NMP002): missing, not a regular file, too large, not
    UTF-8, not YAML or Python."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(location, message, "NMP002")
