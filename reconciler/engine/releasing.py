"""A release: baseline, apply, verify, and (when asked) roll back and verify again.

The one library call behind ``cogctl apply``. Order and policy:
1. Read the extraction baseline of every changed slot that exists live (before any write).
2. ``applying.apply_plan``: writes, then one retraining per bot whose slots were written
   (or whose retraining an interrupted apply left pending: its slots are all verified).
3. Unless ``verify`` is off: judge the written slots' metrics (``metrics_not_ready`` polled
   to a deadline) and run the simulation suites of the changed bots.
4. When verification failed and ``rollback`` is on: restore the written slots from the live
   snapshot the plan was built from (``reverting``), retrain, and verify the restored slots
   against the same baseline. Both rounds are reported. When the rollback has nothing to
   write (say apply only deleted slots, which are never restored), there is no second round.
   ``coverage`` then says exactly what was and was not rolled back.
A failed write skips verification (there is nothing coherent to verify); the result says
what was done either way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.backend import base
from reconciler.clock import Clock, Sleep
from reconciler.core import livestate, plans
from reconciler.engine import (
    applying,
    applyresults,
    progress,
    rollbackplans,
    simulating,
    verifying,
)
from reconciler.manifests import models


@dataclass(frozen=True)
class VerifyOptions:
    enabled: bool = True
    rollback: bool = False
    metrics_deadline_seconds: float = 120.0
    simulation_deadline_seconds: float = 120.0
    poll_seconds: float = 0.5
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep


@dataclass(frozen=True)
class Release:
    """What happened. ``rounds``: verification reports in order (after apply, after rollback)."""

    result: applyresults.ApplyResult
    rounds: tuple[verifying.VerifyReport, ...] = ()
    rollback: applyresults.ApplyResult | None = None
    baseline: dict[str, float] = field(default_factory=dict)
    coverage: rollbackplans.Coverage | None = None  # set when a rollback was due

    @property
    def verified(self) -> bool:
        """The first round passed (a rollback never turns a failed release into a pass)."""
        return all(r.passed for r in self.rounds[:1])


async def release(
    backend: base.Backend,
    plan: plans.Plan,
    live: livestate.LiveState,
    *,
    suites: Sequence[tuple[models.SimulationSuite, str]] = (),
    apply_options: applying.ApplyOptions | None = None,
    verify: VerifyOptions | None = None,
    on_event: progress.Listener = progress.ignore,
) -> Release:
    """Steps 1-4 of the module docstring."""
    vopts = verify or VerifyOptions()
    existing = {s["slotId"] for bot in live.bots.values() for s in bot.slots}
    checks = verifying.extraction_checks(plan)
    baseline = await verifying.read_baseline(backend, checks, existing=existing)
    result = await applying.apply_plan(backend, plan, options=apply_options, on_event=on_event)
    if not result.writes_ok or not vopts.enabled:
        rounds = (verifying.VerifyReport("after apply", retrains=result.retrains),)
        return Release(result, rounds if result.retrains else (), baseline=baseline)
    first = await _verify(backend, plan, result, baseline, suites, vopts, "after apply", on_event)
    if first.passed or not vopts.rollback:
        return Release(result, (first,), baseline=baseline)
    undo = rollbackplans.rollback_plan(plan, live, result)
    if not undo.changes:
        covered = rollbackplans.coverage(plan, result, undo, None)
        return Release(result, (first,), baseline=baseline, coverage=covered)
    undone = await applying.apply_plan(
        backend, undo, options=apply_options, on_event=_marked_rollback(on_event)
    )
    second = await _verify(
        backend, undo, undone, baseline, (), vopts, "after rollback", on_event
    )
    covered = rollbackplans.coverage(plan, result, undo, undone)
    return Release(
        result, (first, second), rollback=undone, baseline=baseline, coverage=covered
    )


def _marked_rollback(on_event: progress.Listener) -> progress.Listener:
    """Writes of the rollback say so, on the display and in the audit log."""

    def listen(event: progress.Event) -> None:
        if isinstance(event, progress.ChangeOutcome):
            event = dataclasses.replace(event, message=f"rollback: {event.message}")
        on_event(event)

    return listen


async def _verify(
    backend: base.Backend,
    plan: plans.Plan,
    result: applyresults.ApplyResult,
    baseline: dict[str, float],
    suites: Sequence[tuple[models.SimulationSuite, str]],
    vopts: VerifyOptions,
    label: str,
    on_event: progress.Listener,
) -> verifying.VerifyReport:
    done = {c.address for c in result.changes if c.outcome in applyresults.DONE}
    # A bot retrained for an interrupted apply: every slot of its manifests is verified.
    pending = plan.pending_bots()
    checks = [c for c in verifying.extraction_checks(plan)
              if c.address in done or c.bot_id in pending]
    failed_bots = frozenset(r.bot_id for r in result.retrains if not r.ok)
    slots = await verifying.measure_extraction(
        backend,
        checks,
        baseline=baseline,
        predicted=verifying.plan_predictions(plan),
        failed_bots=failed_bots,
        deadline_seconds=vopts.metrics_deadline_seconds,
        poll_seconds=vopts.poll_seconds,
        clock=vopts.clock,
        sleep=vopts.sleep,
        on_event=on_event,
    )
    wanted = {c.address for c in plan.verify if c.check == "simulation"}
    reports = await simulating.run_suites(
        backend,
        [(suite, bot) for suite, bot in suites if suite.address in wanted],
        deadline_seconds=vopts.simulation_deadline_seconds,
        clock=vopts.clock,
        sleep=vopts.sleep,
        on_event=on_event,
    )
    return verifying.VerifyReport(label, result.retrains, slots, reports)
