"""The files a run reads: which ones (in a stable order), and reading each one safely.

Every command that searches a directory walks it with `walk_files`: names sorted, hidden folders
and virtual-environment, package and build folders (SKIPPED_DIRS) skipped.

Everything the tool reads goes through `read_input_text`: only regular files (a FIFO or a device
such as /dev/zero would block or never end), at most MAX_INPUT_BYTES (precision configs and training
scripts are kilobytes; a bound keeps memory proportional to what a config can be), decoded as UTF-8
with the failing line named. Bad input becomes an InputError, never a hang or a traceback.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from migrate.errors import InputError, Location, Unreadable

YAML_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"})
STDIN = "-"
MAX_INPUT_BYTES = 2 * 1024 * 1024  # over 100x the largest real config seen (16 KB); documented in the README


@dataclass(frozen=True)
class InputFile:
    """`path` is what the user named (or `-`); `relative` is its path below the directory given."""

    path: str
    relative: str
    named: bool = True  # named on the command line (not found in a directory)


@dataclass(frozen=True)
class Collected:
    """Files to read, paths that do not exist, and special files found in directories (skipped)."""

    files: list[InputFile]
    missing: list[str]
    special: list[str]


def is_regular(path: str) -> bool:
    """False for FIFOs and devices (reading one would block or never end) and for what cannot be stat-ed."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def walk_files(root: str, suffixes: tuple[str, ...],
               excluded: Callable[[str], bool] | None = None) -> Iterator[tuple[str, bool]]:
    """(path, is it a regular file) for every file below `root` whose name ends in `suffixes`, sorted.

    Hidden folders and SKIPPED_DIRS are not entered; `excluded(path)` (a folder's or file's path as
    found, `root` joined with the names below it) prunes further folders and files.
    """
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith(".") and d not in SKIPPED_DIRS
            and not (excluded and excluded(os.path.join(dirpath, d)))
        )
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name.endswith(suffixes) and not (excluded and excluded(full)):
                yield full, is_regular(full)


def collect_inputs(paths: list[str]) -> Collected:
    """Named files are taken as given (reading them reports what is wrong); directories are
    searched (`walk_files`) for *.yaml/*.yml files, special files among them set apart."""
    found: list[InputFile] = []
    missing: list[str] = []
    special: list[str] = []
    for given in paths:
        if given == STDIN:
            found.append(InputFile(STDIN, "stdin.yaml"))
        elif os.path.isdir(given):
            root = Path(given)
            for path, regular in walk_files(given, YAML_SUFFIXES):
                full = Path(path)
                if regular:
                    found.append(InputFile(str(full), str(full.relative_to(root)), named=False))
                else:
                    special.append(str(full))
        elif os.path.lexists(given):
            found.append(InputFile(given, os.path.basename(given)))
        else:
            missing.append(given)
    return Collected(found, missing, special)


def _too_large(path: str, size: int | None = None) -> InputError:
    limit = f"{MAX_INPUT_BYTES // 1024 // 1024} MiB"
    shown = f"is {size / 1024 / 1024:.1f} MiB" if size is not None else f"is larger than {limit}"
    return Unreadable(
        Location(path),
        f"input {shown}; inputs above {limit} are refused (precision configs and training scripts are kilobytes)",
    )


def decode_text(data: bytes, path: str, keep_newlines: bool = False) -> str:
    """UTF-8 text; an undecodable byte is reported with its line and column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise Unreadable(Location(path, line, col), f"not UTF-8 text ({error.reason})") from None
    if not keep_newlines and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_input_bytes(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_INPUT_BYTES; InputError otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Unreadable(Location(path), "no such file") from None
    except IsADirectoryError:
        raise Unreadable(Location(path), "is a directory, not a file") from None
    except OSError as error:
        raise Unreadable(Location(path), f"cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Unreadable(Location(path), "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(Location(path), "not a regular file (a FIFO, device or socket): not read")
        if info.st_size > MAX_INPUT_BYTES:
            raise _too_large(path, info.st_size)
        chunks: list[bytes] = []
        remaining = MAX_INPUT_BYTES + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise _too_large(path)
        return b"".join(chunks)
    except OSError as error:
        raise Unreadable(Location(path), f"cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)


def read_input_text(path: str, keep_newlines: bool = False) -> str:
    """A regular UTF-8 file of at most MAX_INPUT_BYTES. `keep_newlines` keeps `\\r\\n` (files rewritten in place)."""
    return decode_text(read_input_bytes(path), path, keep_newlines)


def read_stdin_text(name: str) -> str:
    """Standard input, bounded like a file; `name` is what messages call it."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text-only stdin (tests, embedding): read it as text, bounded
        text = sys.stdin.read(MAX_INPUT_BYTES + 1)
        if len(text) > MAX_INPUT_BYTES:
            raise _too_large(name)
        return text
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise _too_large(name)
    return decode_text(data, name)
