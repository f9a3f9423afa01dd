"""Continue an environment's audit chain in CI: the previous run's log and head, or a gap.

``restore`` fetches the newest ``cogctl-audit-<env>`` artifact of the branch into the job's
folder (``github.auditchain``); when the newest is expired or incomplete it marks the head
lost (``records.audithead.write_lost``), so the command that follows records an audit gap
instead of silently starting a new chain. The line to show is ``describe``'s.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.github import auditchain, workflows
from reconciler.records import audithead


def restore(environment: str, folder: Path, *, branch: str | None = None
            ) -> tuple[str, auditchain.Found]:
    """(branch, what was found), with a lost head already written into ``folder``."""
    ref, found = workflows.audit_restore(environment, folder, branch=branch)
    if isinstance(found, auditchain.Lost):
        audithead.write_lost(folder / auditchain.HEAD_NAME, found.reason)
    return ref, found


def describe(environment: str, ref: str, found: auditchain.Found) -> str:
    """One line for the job log; a lost link as a GitHub Actions warning."""
    if isinstance(found, auditchain.Restored):
        return (f"audit chain of {environment}: continued from run {found.run_id} "
                f"({found.artifact})")
    if isinstance(found, auditchain.Lost):
        return (f"::warning::audit chain of {environment}: {found.reason}; this run records "
                "an audit gap")
    return (f"audit chain of {environment}: no earlier {found.artifact} on {ref}; the chain "
            "starts here")
