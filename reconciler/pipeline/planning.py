"""Plan a project against its target, and check it for drift: the calls behind ``cogctl
plan`` and ``cogctl drift``.

Both read live state with the read scope only, diff it into a plan (``engine.planmaking``)
and record it: an audit entry and a webhook (``plan.created``; ``drift.detected`` only when
there is drift). ``drift --metrics-file`` also gets the drift gauges, set to "failed" (exit
1) until the comparison is done, so an alert sees a run that could not compare.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import fileio, jsontypes
from reconciler.backend import targeting
from reconciler.core import plandocuments, plans
from reconciler.engine import planmaking
from reconciler.manifests import validating
from reconciler.pipeline import exitcodes, projects, running
from reconciler.records import metrics


@dataclass(frozen=True)
class Planned:
    """A plan, and the environment of the target it was made against."""

    plan: plans.Plan
    environment: str | None

    @property
    def drifted(self) -> bool:
        return drifted(self.plan)


def drifted(plan: plans.Plan) -> bool:
    """Drift is any difference, or a retraining an interrupted apply left pending (the live
    model then does not reflect the slots: apply finishes it)."""
    return plan.summary().has_changes


async def plan_project(
    run: running.Run,
    project: validating.Project,
    *,
    prune: bool = False,
    targets: Sequence[str] = (),
    out: Path | None = None,
) -> Planned:
    """Plan, record, warn about every secret the environment lacks, and save to ``out``."""
    async with run.target(project, targeting.SCOPES_READ) as target:
        made, _live = await planmaking.make_plan(
            target.backend, project, target=target.description, prune=prune, targets=targets)
    fields = running.plan_fields(made)
    run.audit("plan.created", **fields)
    await run.notify("plan.created", fields)
    for warning in projects.missing_secret_warnings(project):
        run.note(warning)
    if out is not None:
        save_plan(made, out)
    return Planned(made, run.environment)


def save_plan(plan: plans.Plan, path: Path) -> None:
    """Write the saved plan atomically: a reader sees the old file or the whole new one.

    It is the document ``--output json`` prints, plus what apply needs to verify it."""
    data = jsontypes.dumps(plandocuments.saved_document(plan), indent=2) + "\n"
    fileio.write_atomic(path, data)


async def check_drift(
    run: running.Run, project: validating.Project, *, prune: bool = False
) -> Planned:
    """Plan for a scheduled run: record the check, the drift gauges, and drift when found."""
    environment = project.environment or "default"
    metrics.observe_drift(run.metrics, environment=environment, exit_code=exitcodes.ERROR,
                          timestamp=time.time())
    run.on_interrupt(lambda code: metrics.observe_drift(
        run.metrics, environment=environment, exit_code=code, timestamp=time.time()))
    async with run.target(project, targeting.SCOPES_READ) as target:
        made, _live = await planmaking.make_plan(
            target.backend, project, target=target.description, prune=prune)
    planned = Planned(made, run.environment)
    fields = running.plan_fields(made)
    run.audit("drift.checked", **fields)
    metrics.observe_drift(
        run.metrics, environment=environment, timestamp=time.time(),
        exit_code=exitcodes.CHANGES if planned.drifted else exitcodes.OK,
        objects=len(made.pending()))
    if planned.drifted:
        await run.notify("drift.detected", fields)
    return planned
