"""Run simulation suites against the target: the call behind ``cogctl simulate``.

Suites run one after another, the cases of each concurrently, with the simulation scope
only. The batch summary (verdicts and counts, never a turn's text) goes to the audit log
and a ``simulation.batch`` webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from reconciler.backend import targeting
from reconciler.clock import Clock, Sleep
from reconciler.core import simulations
from reconciler.engine import progress, simulating
from reconciler.manifests import validating
from reconciler.pipeline import projects, running


def _unwatched() -> AbstractContextManager[progress.Listener]:
    return contextlib.nullcontext(progress.ignore)


async def simulate_suites(
    run: running.Run,
    project: validating.Project,
    chosen: Sequence[projects.Suite],
    *,
    concurrency: int = 4,
    deadline: float = 120.0,
    watch: Callable[[], AbstractContextManager[progress.Listener]] = _unwatched,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> tuple[simulations.SuiteReport, ...]:
    """Run ``chosen`` (``projects.select_suites``) under ``watch`` and record the batch."""
    async with run.target(project, targeting.SCOPES_SIMULATE) as target:
        with watch() as display:
            reports = await simulating.run_suites(
                target.backend, chosen, concurrency=concurrency, deadline_seconds=deadline,
                on_event=display, clock=clock, sleep=sleep,
            )
    summary = simulating.summarize(reports)
    run.audit("simulate", **summary)
    await run.notify("simulation.batch", summary)
    return reports
