"""Run cogctl as an adopter does: a subprocess in the adopter's own folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment less anything that would point cogctl elsewhere."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COGCTL_", "COGNIGY_", "GITHUB_")) and k not in (
               "NO_COLOR", "FORCE_COLOR", "CI")}
    env.update(extra)
    return env


def cogctl(cwd: Path, *args: str, env: dict[str, str] | None = None,
           stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env or clean_env(),
        capture_output=True, text=True, check=False, timeout=timeout,
        input=stdin if stdin is not None else "",
    )
