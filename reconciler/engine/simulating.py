"""Run a ``SimulationSuite`` against a bot through a ``Backend`` and judge every case.

Policy:
- Expected entities are checked against ``GET /api/bot/entities`` first; a case naming an
  entity the bot does not know is *misconfigured* and never submitted.
- At most ``concurrency`` simulations are in flight at once (the backend's shared rate limiter
  paces the requests themselves). Each is polled with exponential backoff (0.2 s doubling to
  at most 3 s) until it completes or its deadline (``deadline_seconds`` from submission)
  passes; then the case is *timed out*, and the run goes on.
- A backend error that concerns one case (404, 400/422) marks that case misconfigured; any
  other backend error (credentials, scope, an exhausted retry budget) stops the run.
- ``clock`` and ``sleep`` are injectable so tests advance time instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from reconciler import errors
from reconciler.backend import base
from reconciler.clock import Clock, Sleep
from reconciler.core import livetypes as lt
from reconciler.core import simulations
from reconciler.engine import progress
from reconciler.manifests import models

PLATFORM = "rest"
FIRST_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 3.0

_T = TypeVar("_T")


async def run_suite(
    backend: base.Backend,
    suite: models.SimulationSuite,
    *,
    bot_id: str,
    concurrency: int = 4,
    deadline_seconds: float = 120.0,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    on_event: progress.Listener = progress.ignore,
) -> simulations.SuiteReport:
    """Run every case of ``suite`` against ``bot_id`` and return the judged report; a
    ``CaseDone`` event follows each finished case."""
    if concurrency < 1:
        raise errors.ConfigError(f"concurrency must be at least 1, got {concurrency}")
    started = clock()
    known = await backend.list_entities(bot_id)
    gate = asyncio.Semaphore(concurrency)

    total = len(suite.spec.cases)
    finished = {"done": 0, "failed": 0}

    async def judged(case: models.SimulationCase) -> simulations.CaseResult:
        unknown = simulations.unknown_entities(case, known)
        if unknown:
            return _unknown_entities_result(case, unknown)
        async with gate:
            return await _run_case(
                backend, case, bot_id=bot_id, deadline=deadline_seconds, clock=clock,
                sleep=sleep,
            )

    async def one(case: models.SimulationCase) -> simulations.CaseResult:
        result = await judged(case)
        finished["done"] += 1
        finished["failed"] += result.status is not simulations.CaseStatus.PASSED
        on_event(progress.CaseDone(suite.address, case.id, result.status.value,
                                   finished["done"], total, finished["failed"],
                                   clock() - started))
        return result

    results = await _gather_or_cancel([one(case) for case in suite.spec.cases])
    return simulations.SuiteReport(
        address=suite.address,
        bot_id=bot_id,
        cases=tuple(results),
        min_pass_rate=suite.spec.minPassRate,
        coverage=simulations.measure_coverage(suite.spec.expectedFlows, results),
        seconds=clock() - started,
    )


def _unknown_entities_result(
    case: models.SimulationCase, unknown: Sequence[str]
) -> simulations.CaseResult:
    found = tuple(
        simulations.Misconfiguration(
            case_id=case.id,
            code=simulations.ERROR_UNKNOWN_ENTITY,
            message=f"unknown entity {name!r} (not among GET /api/bot/entities)",
        )
        for name in unknown
    )
    return simulations.CaseResult(
        id=case.id,
        status=simulations.CaseStatus.MISCONFIGURED,
        reasons=tuple(m.message for m in found),
        misconfigurations=found,
    )


async def _run_case(
    backend: base.Backend,
    case: models.SimulationCase,
    *,
    bot_id: str,
    deadline: float,
    clock: Clock,
    sleep: Sleep,
) -> simulations.CaseResult:
    request: lt.SimulationRequest = {
        "botId": bot_id,
        "userId": case.userId,
        "platform": PLATFORM,
        "input": {"text": case.utterance},
        "context": dict(case.context),
        "testId": case.id,
    }
    started = clock()
    try:
        simulation_id = await backend.start_simulation(request)
        simulation = await _poll(backend, simulation_id, until=started + deadline,
                                 clock=clock, sleep=sleep)
    except (errors.NotFoundError, errors.RequestRejectedError) as exc:
        problem = simulations.Misconfiguration(case.id, exc.code or "REJECTED", str(exc))
        return simulations.CaseResult(
            id=case.id, status=simulations.CaseStatus.MISCONFIGURED, reasons=(str(exc),),
            seconds=clock() - started, misconfigurations=(problem,),
        )
    seconds = clock() - started
    if simulation is None:
        return simulations.CaseResult(
            id=case.id, status=simulations.CaseStatus.TIMED_OUT,
            reasons=(f"simulation {simulation_id} did not finish within {deadline:g}s",),
            simulation_id=simulation_id, seconds=seconds,
        )
    return _judged(case, simulation, seconds=seconds)


def _judged(
    case: models.SimulationCase, simulation: lt.Simulation, *, seconds: float
) -> simulations.CaseResult:
    turns = tuple(simulation.get("turns") or ())
    common: dict[str, Any] = {
        "id": case.id, "turns": turns, "simulation_id": simulation["simulationId"],
        "seconds": seconds,
    }
    problems = simulations.turn_errors(case.id, turns)
    if problems:
        reasons = tuple(f"turn {p.turn_index}: {p.code}: {p.message}" for p in problems)
        return simulations.CaseResult(
            status=simulations.CaseStatus.MISCONFIGURED, reasons=reasons,
            misconfigurations=tuple(problems), **common,
        )
    judged = simulations.judge(case, turns)
    if simulation["status"] == "failed":
        judged.insert(0, "the simulation failed on the platform")
    status = simulations.CaseStatus.FAILED if judged else simulations.CaseStatus.PASSED
    return simulations.CaseResult(status=status, reasons=tuple(judged), **common)


async def _poll(
    backend: base.Backend, simulation_id: str, *, until: float, clock: Clock, sleep: Sleep
) -> lt.Simulation | None:
    """The finished simulation, or None once ``until`` passes (never a fixed number of tries)."""
    delay = FIRST_POLL_SECONDS
    while True:
        simulation = await backend.get_simulation(simulation_id)
        if simulation["status"] in ("completed", "failed"):
            return simulation
        remaining = until - clock()
        if remaining <= 0:
            return None
        await sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_POLL_SECONDS)


async def _gather_or_cancel(coroutines: Sequence[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Like ``asyncio.gather``, but the first error cancels the rest (no TaskGroup on 3.10)."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in tasks:
            failure = task.exception() if task.done() and not task.cancelled() else None
            if failure is not None:
                raise failure
        return [task.result() for task in tasks]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def run_suites(
    backend: base.Backend,
    suites: Sequence[tuple[models.SimulationSuite, str]],
    *,
    concurrency: int = 4,
    deadline_seconds: float = 120.0,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    on_event: progress.Listener = progress.ignore,
) -> tuple[simulations.SuiteReport, ...]:
    """Run ``(suite, botId)`` pairs one after another (each suite runs its cases concurrently);
    a ``Verdict`` event follows each suite."""
    reports = []
    for suite, bot_id in suites:
        report = await run_suite(backend, suite, bot_id=bot_id, concurrency=concurrency,
                                 deadline_seconds=deadline_seconds, clock=clock, sleep=sleep,
                                 on_event=on_event)
        on_event(progress.Verdict(
            suite.address,
            report.passed,
            f"pass rate {report.pass_rate:.2f} (min {report.min_pass_rate:.2f})",
        ))
        reports.append(report)
    return tuple(reports)


def summarize(reports: Sequence[simulations.SuiteReport]) -> dict[str, lt.Json]:
    """The batch summary for the audit log and the webhook: verdicts and counts, no turns."""
    return {
        "passed": all(report.passed for report in reports),
        "suites": [
            {
                "suite": report.address,
                "botId": report.bot_id,
                "passed": report.passed,
                "passRate": round(report.pass_rate, 4),
                "minPassRate": report.min_pass_rate,
                "counts": dict(report.counts()),
                "coverage": round(report.coverage.share, 4),
                "missingFlows": list(report.coverage.missing),
                "misconfigurations": len(report.misconfigurations),
            }
            for report in reports
        ],
    }
