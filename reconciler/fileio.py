"""Atomic file writes and bounded reads of regular files.

Reads: every file cogctl reads that a user, a pull request or a tenant controls (manifests,
``cogctl.yaml``, emulator fixtures and state, saved plans, audit logs, payloads) is opened with
``open_regular`` or read with ``read_bounded``: only a regular file is read (a FIFO named
``*.yaml`` would block forever, ``/dev/zero`` never ends), and never more than a limit. A
refusal is a ``FileRefusedError``, an ``OSError`` whose ``strerror`` says what is wrong, so
every caller that handles ``OSError`` reports it as one clear line.

Writes: a reader sees the old file or the whole new one, never half of it.

Every file cogctl and the emulator write (saved plans, metrics, JUnit reports, exported
manifests, the emulator state) goes through here. The data is written to a temporary file
beside its target (same directory, so the rename never crosses a file system), flushed and
fsynced, then renamed over the target with ``os.replace``. On any failure the temporary files
are removed and the targets are left as they were. Pure standard library.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

# mkstemp creates files readable by the owner alone; kept when no mode is asked for.
PRIVATE_MODE = 0o600


DEFAULT_READ_LIMIT = 16 * 1024 * 1024


class FileRefusedError(OSError):
    """A file that is not read: not a regular file, or larger than the limit."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading in binary mode, refusing anything but a regular file.

    The file is opened without blocking (a FIFO with no writer would block ``open`` itself),
    then checked with ``fstat`` on the open descriptor, so no swap between check and read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefusedError(errno.EINVAL, f"not a regular file ({_kind(mode)}); only "
                                   "regular files are read", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: Path, limit: int = DEFAULT_READ_LIMIT) -> bytes:
    """The bytes of the regular file ``path``; ``FileRefusedError`` beyond ``limit`` bytes."""
    with open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileRefusedError(errno.EFBIG, f"larger than {limit} bytes ({_size(limit)}); "
                               "refused", str(path))
    return data


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` (text is UTF-8) atomically, creating parent folders.

    ``mode``: the new file's permission bits; ``None`` keeps ``PRIVATE_MODE`` (0600).
    Raises ``OSError`` as the file system does; no temporary file outlives a failure.
    """
    write_all_atomic([(Path(path), data)], mode=mode)


def write_all_atomic(
    files: Sequence[tuple[Path, str | bytes]], *, mode: int | None = None
) -> None:
    """Write several files: every one is staged and synced before any is renamed into place.

    A failure while staging (disk full, no permission) leaves every target unchanged; it is
    an ``OSError`` whose ``filename`` is the target that could not be written.
    """
    staged: list[tuple[Path, Path]] = []
    target = Path()
    try:
        for path, data in files:
            target = Path(path)
            staged.append((_stage(target, data, mode), target))
        for temp, path in staged:
            target = path
            os.replace(temp, path)
    except OSError as exc:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        # Named by the file asked for, not the temporary one beside it.
        raise OSError(exc.errno, f"cannot write: {exc.strerror or exc}", str(target)) from exc
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise


def _stage(path: Path, data: str | bytes, mode: int | None) -> Path:
    """A synced temporary copy of ``data`` beside ``path``; removed again if writing fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp, mode)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp
