"""Verify live state: the call behind ``cogctl verify``.

Every manifest slot's extraction metrics against its thresholds (a slot missing live fails),
with the prediction from its own examples beside them, and every simulation suite. Read
scope only, plus simulation when there are suites. Every verdict goes to the audit log; the
outcome to a ``verify.completed`` webhook.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from reconciler.backend import targeting
from reconciler.clock import Clock, Sleep
from reconciler.engine import planmaking, simulating, verifying
from reconciler.manifests import models, validating
from reconciler.pipeline import projects, running


async def verify_project(
    run: running.Run,
    project: validating.Project,
    *,
    wait: float = 30.0,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> verifying.VerifyReport:
    """Measure, simulate and record; ``wait``: seconds to wait for a model still training."""
    report = await _verify(run, project, wait, clock, sleep)
    for slot in report.slots:
        run.audit("verify.verdict", subject=slot.address, passed=slot.passed,
                  detail=slot.reason)
    for suite in report.suites:
        run.audit("verify.verdict", subject=suite.address, passed=suite.passed,
                  detail=f"pass rate {suite.pass_rate:.2f}")
    data: dict[str, Any] = {"passed": report.passed, "failures": report.failures()}
    run.audit("verify.completed", **data)
    await run.notify("verify.completed", data)
    return report


async def _verify(
    run: running.Run, project: validating.Project, wait: float, clock: Clock, sleep: Sleep
) -> verifying.VerifyReport:
    suites = projects.suites(project)
    scopes = targeting.SCOPES_SIMULATE if suites else targeting.SCOPES_READ
    slots = [m.manifest for m in project.manifests if isinstance(m.manifest, models.Slot)]
    async with run.target(project, scopes) as target:
        live = await planmaking.fetch_live(target.backend, project)
        checks, missing = verifying.checks_for_slots(slots, live, planmaking.bot_ids(project))
        judged = await verifying.measure_extraction(
            target.backend, checks, baseline={}, deadline_seconds=wait,
            predicted=verifying.predicted_rates(slots), clock=clock, sleep=sleep,
        )
        reports = await simulating.run_suites(target.backend, suites, clock=clock, sleep=sleep)
    return verifying.VerifyReport("of live state", (), (*missing, *judged), reports)
