"""Atomic file writes: a reader sees the old file or the whole new one, never half of it.

Every file cogctl and the emulator write (saved plans, metrics, JUnit reports, exported
manifests, the emulator state) goes through here. The data is written to a temporary file
beside its target (same directory, so the rename never crosses a file system), flushed and
fsynced, then renamed over the target with ``os.replace``. On any failure the temporary files
are removed and the targets are left as they were. Pure standard library.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

# mkstemp creates files readable by the owner alone; kept when no mode is asked for.
PRIVATE_MODE = 0o600


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

    A failure while staging (disk full, no permission) leaves every target unchanged.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(Path(path), data, mode), Path(path)))
        for temp, path in staged:
            os.replace(temp, path)
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
