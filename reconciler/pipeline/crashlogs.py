"""The crash log: an internal error's traceback, kept in a file the error line points to.

The user sees one line (``internal error: ...; details in PATH``), never a traceback; the
traceback goes to ``<state dir>/logs/cogctl-crash-<UTC stamp>.log``, or to ``$TMPDIR`` (else
``/tmp``) when the state directory cannot be written.
"""

from __future__ import annotations

import datetime as _dt
import os
import traceback
from pathlib import Path

from reconciler import statedir


def directory() -> Path:
    return statedir.state_dir() / "logs"


def write(exc: BaseException) -> Path | None:
    """Write ``exc``'s traceback; the file's path, or None when no folder takes it."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    for folder in (directory(), Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"cogctl-crash-{stamp}.log"
            path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
            return path
        except OSError:
            continue
    return None
