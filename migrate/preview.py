"""Unified diffs of what a run would change: plain text for pipes (applies with `patch -p1` and
`git apply`), coloured with rich on a terminal."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path
from typing import TextIO

NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: str | os.PathLike[str]) -> str:
    """The path as the diff names it: relative to the working directory when below it, with `/`."""
    try:
        relative = Path(os.path.relpath(os.path.abspath(path), os.getcwd()))
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()
    if relative.parts[:1] == ("..",):
        return Path(path).as_posix()
    return relative.as_posix()


def unified_diff(before: str | None, after: str, path: str | os.PathLike[str]) -> str:
    """A `--- a/PATH` / `+++ b/PATH` diff; `before=None` means the file does not exist yet."""
    name = display_path(path).lstrip("/")
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    header_old = "/dev/null" if before is None else f"a/{name}"
    lines = difflib.unified_diff(old, new, header_old, f"b/{name}", lineterm="\n")
    out = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:  # last line of a file without a final newline
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def _style(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    return None


def use_color(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("NO_COLOR")


def print_diff(diff: str, stream: TextIO | None = None, color: bool | None = None) -> None:
    """Write the diff: byte-exact text when piped, rich colours on a terminal."""
    stream = stream or sys.stdout
    if not (use_color(stream) if color is None else color):
        stream.write(diff)
        stream.flush()
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=True)
    for line in diff.splitlines():
        console.print(Text(line, style=_style(line) or ""))


def read_existing(path: str | os.PathLike[str]) -> str | None:
    """A file's exact text (line endings kept), or None when it does not exist."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


class Outputs:
    """Where new file contents go: written atomically ("write"), shown as a diff ("diff"), or only
    listed on stderr ("check"). `changed` names every file whose content would differ."""

    def __init__(self, mode: str = "write", stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.mode = mode
        self.stdout = stdout
        self.stderr = stderr
        self.changed: list[str] = []

    def offer(self, path: str | os.PathLike[str], text: str, before: str | None = None, known: bool = False) -> bool:
        """Handle one file; `before` is its current text when the caller already read it (`known`)."""
        if not known:
            before = read_existing(path)
        if before == text:
            return False
        self.changed.append(str(path))
        if self.mode == "write":
            from migrate.atomic import write_atomic

            write_atomic(path, text)
        elif self.mode == "diff":
            print_diff(unified_diff(before, text, path), self.stdout or sys.stdout)
        else:
            print(f"{path}: would change", file=self.stderr or sys.stderr)
        return True
