"""Who ran a command, on which commit, in which CI run, with which cogctl: what every audit
entry and webhook body carries, read from the environment (GitHub Actions or a local run)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from reconciler import __version__


def _local_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name (containers, odd platforms)
        return None


def provenance(env: Mapping[str, str] = os.environ) -> dict[str, str | None]:
    """``actor``, ``commit``, ``run_url`` (None outside CI) and ``cogctl_version``."""
    server, repo, run_id = (env.get(k) for k in
                            ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    run_url = f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None
    attempt = env.get("GITHUB_RUN_ATTEMPT")
    if run_url and attempt and attempt != "1":
        run_url += f"/attempts/{attempt}"
    return {
        "actor": env.get("GITHUB_ACTOR") or _local_user(),
        "commit": env.get("GITHUB_SHA") or None,
        "run_url": run_url,
        "cogctl_version": __version__,
    }
