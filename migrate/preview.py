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
    """A file's exact text (line endings kept), or None when it does not exist.

    Links are followed; a directory, FIFO or device is refused (InputError), never opened.
    """
    from migrate.atomic import write_target
    from migrate.inputs import read_input_text

    target = write_target(path)
    if not target.exists():
        return None
    return read_input_text(str(target), keep_newlines=True)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Do both paths name one file (links and `..` resolved; the file need not exist yet)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


class Outputs:
    """The one place where a run's files are written: atomically ("write"), shown as a diff
    ("diff"), or only listed on stderr ("check"). `changed` names every file whose content would
    differ; `failed` every file that could not be written (each reported as one located line).

    Inputs registered with `protect` are never written over: offering one is an InputError.
    Callers check their planned outputs with `refuse_inputs` before anything is written.
    """

    def __init__(
        self, mode: str = "write", stdout: TextIO | None = None, stderr: TextIO | None = None, color: bool | None = None
    ) -> None:
        self.mode = mode
        self.color = color  # None: colour a diff when stdout is a terminal
        self.stdout = stdout
        self.stderr = stderr
        self.changed: list[str] = []
        self.failed: list[str] = []
        self._inputs: list[str] = []

    def protect(self, paths: list[str]) -> None:
        """Files this run reads: never outputs."""
        self._inputs.extend(p for p in paths if p != "-")

    def input_named(self, path: str | os.PathLike[str]) -> str | None:
        """The protected input that `path` would overwrite, if any."""
        for given in self._inputs:
            if same_file(given, path):
                return given
        return None

    def offer(self, path: str | os.PathLike[str], text: str, before: str | None = None, known: bool = False) -> bool:
        """Handle one file; `before` is its current text when the caller already read it (`known`).

        Raises InputError (located at `path`) when the file cannot be read, is an input, or cannot
        be written; the caller reports it and goes on with the next file.
        """
        clash = self.input_named(path)
        if clash is not None:
            from migrate.errors import InputError, Location

            raise InputError(Location(os.fspath(path)), f"is an input of this run ({clash}); refusing to overwrite it")
        if not known:
            before = read_existing(path)
        if before == text:
            return False
        if self.mode == "write":
            from migrate.atomic import write_atomic

            try:
                write_atomic(path, text)
            except Exception:
                self.failed.append(str(path))
                raise
            self.changed.append(str(path))
        elif self.mode == "diff":
            self.changed.append(str(path))
            print_diff(unified_diff(before, text, path), self.stdout or sys.stdout, self.color)
        else:
            self.changed.append(str(path))
            print(f"{path}: would change", file=self.stderr or sys.stderr)
        return True
