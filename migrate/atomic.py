"""Write a file all at once: a temporary file beside the target, then rename over it.

A crash or Ctrl-C leaves either the old file or the new one, never a partial one. An existing
file keeps its permission bits. A symbolic link stays a link: the file it points to is replaced
(the temporary file is made beside that file, so the rename stays on one file system). Anything
that is not a regular file (a directory, FIFO or device) is refused, and every OS error
(read-only file system, full disk, immutable file, no permission) becomes one located InputError.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from migrate.errors import InputError, Location


def _refuse(path: str | os.PathLike[str], message: str) -> InputError:
    return InputError(Location(os.fspath(path)), f"cannot write: {message}")


def write_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to `path` really replaces: links followed; refused if not a regular file."""
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        return target
    except OSError as error:
        raise _refuse(path, error.strerror or str(error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise _refuse(path, "is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, "not a regular file (a FIFO, device or socket)")
    return target


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace the file at `path` (through links) with `text`; InputError when that is impossible."""

    def write(fd: int, temp: str) -> None:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    _replace(path, write, ".tmp")


def save_atomic(path: str | os.PathLike[str], save: Callable[[str], None], suffix: str = ".tmp") -> None:
    """The same for a library that writes a file by name (matplotlib's `savefig`): `save(temp)` writes
    the temporary file beside the target, which then replaces it."""

    def write(fd: int, temp: str) -> None:
        os.close(fd)
        save(temp)

    _replace(path, write, suffix)


def _replace(path: str | os.PathLike[str], write: Callable[[int, str], None], suffix: str) -> None:
    target = write_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    except OSError as error:
        raise _refuse(path, error.strerror or str(error)) from None
    try:
        write(fd, temp)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as error:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise _refuse(path, error.strerror or str(error)) from None
        raise
