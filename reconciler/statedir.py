"""Where cogctl keeps its local state: the one rule every layer reads.

``$COGCTL_STATE_DIR`` when set (and not empty), else ``.cogctl``. Under it: the embedded
tenant (``local-tenant.json``), the audit log (``audit.jsonl``) and crash logs (``logs/``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ENV_VAR = "COGCTL_STATE_DIR"
DEFAULT = Path(".cogctl")


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The state directory; nothing is created here."""
    return Path(env.get(ENV_VAR) or DEFAULT)
