"""Where cogctl keeps its local state: the one rule every layer reads.

``$COGCTL_STATE_DIR`` when set (and not empty, taken as written, so relative to the working
directory); else ``.cogctl`` beside the project file (``cogctl.yaml``) when one was found;
else ``.cogctl`` in the working directory. Anchoring at the project means a command run
from another folder of the same project uses the same embedded tenant and audit log, never
a fresh one. Under it: the embedded tenant (``local-tenant.json``), the audit log
(``audit.jsonl``) and crash logs (``logs/``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "COGCTL_STATE_DIR"
DEFAULT = Path(".cogctl")


def state_dir(env: Mapping[str, str] = os.environ, *, project_file: Path | None = None) -> Path:
    """The state directory; nothing is created here.

    ``project_file``: the ``cogctl.yaml`` of the run, when one was found. The result is
    relative to the working directory when it lies below it (as printed on the target line),
    else absolute.
    """
    explicit = env.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    if project_file is None:
        return DEFAULT
    folder = (project_file.absolute().parent / DEFAULT)
    try:
        return folder.relative_to(Path.cwd())
    except ValueError:
        return folder
