"""One NLU retraining per bot whose slots changed, polled to the end or to a deadline.

Slots are written with ``triggerRetrain: false``; this module then starts one job per bot
(the API joins a job already queued or running, so a second start is harmless) and polls
every job concurrently with a gentle backoff. A job an earlier, interrupted apply left running
(``jobs``, from the pending-retraining marker) is joined: read, and polled when still queued
or running, or taken as the result when it succeeded; only a failed or vanished one is
started again. Time is injected (``clock``, ``sleep``) so tests
advance it instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

from reconciler import errors
from reconciler.backend import base
from reconciler.clock import Clock, Sleep
from reconciler.core import livetypes as lt
from reconciler.engine import applyresults, progress


async def retrain_bots(
    backend: base.Backend,
    bot_ids: Sequence[str],
    *,
    jobs: Mapping[str, str] | None = None,
    deadline_seconds: float = 600.0,
    poll_seconds: float = 0.5,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    on_event: progress.Listener = progress.ignore,
) -> tuple[applyresults.RetrainOutcome, ...]:
    """Train every bot in ``bot_ids`` (in that order in the result), never raising.

    ``jobs``: botId -> a job id to join instead of starting a new job (see the docstring).
    """
    known = dict(jobs or {})
    trainings = [
        _train_one(
            backend,
            bot_id,
            known.get(bot_id),
            deadline_seconds=deadline_seconds,
            poll_seconds=poll_seconds,
            clock=clock,
            sleep=sleep,
            on_event=on_event,
        )
        for bot_id in bot_ids
    ]
    return tuple(await asyncio.gather(*trainings))


async def _train_one(
    backend: base.Backend,
    bot_id: str,
    job_id: str | None,
    *,
    deadline_seconds: float,
    poll_seconds: float,
    clock: Clock,
    sleep: Sleep,
    on_event: progress.Listener,
) -> applyresults.RetrainOutcome:
    started = clock()
    try:
        job = await _joined(backend, job_id) or await backend.start_retrain(bot_id)
    except errors.BackendError as exc:
        return applyresults.RetrainOutcome(
            bot_id, applyresults.TrainingStatus.NOT_STARTED, error=str(exc)
        )
    return await _poll(
        backend, bot_id, job, started=started, deadline_seconds=deadline_seconds,
        poll_seconds=poll_seconds, clock=clock, sleep=sleep, on_event=on_event,
    )


async def _joined(backend: base.Backend, job_id: str | None) -> lt.RetrainJob | None:
    """The earlier job, unless there is none, it failed or it cannot be read."""
    if job_id is None:
        return None
    try:
        job = await backend.get_job(job_id)
    except errors.BackendError:
        return None
    return None if job["status"] == "failed" else job


async def _poll(
    backend: base.Backend,
    bot_id: str,
    job: lt.RetrainJob,
    *,
    started: float,
    deadline_seconds: float,
    poll_seconds: float,
    clock: Clock,
    sleep: Sleep,
    on_event: progress.Listener,
) -> applyresults.RetrainOutcome:
    job_id = job["jobId"]
    wait = poll_seconds
    while True:
        elapsed = clock() - started
        status = job["status"]
        on_event(progress.RetrainUpdate(bot_id, job_id, status, _progress_of(job), elapsed))
        if status in ("succeeded", "failed"):
            return _finished(bot_id, job, elapsed)
        if elapsed >= deadline_seconds:
            return applyresults.RetrainOutcome(
                bot_id, applyresults.TrainingStatus.TIMED_OUT, job_id=job_id,
                error=f"still {status} after {deadline_seconds:g}s", seconds=elapsed,
            )
        await sleep(min(wait, max(deadline_seconds - elapsed, 0.0)))
        wait = min(wait * 1.5, 5.0)  # quick for short jobs, gentle on the rate limit for long
        try:
            job = await backend.get_job(job_id)
        except errors.BackendError as exc:
            return applyresults.RetrainOutcome(
                bot_id, applyresults.TrainingStatus.FAILED, job_id=job_id,
                error=f"could not read the job: {exc}", seconds=clock() - started,
            )


def _progress_of(job: lt.RetrainJob) -> float:
    if job["status"] == "succeeded":
        return 1.0
    return float(job.get("progress") or 0.0)


def _finished(bot_id: str, job: lt.RetrainJob, elapsed: float) -> applyresults.RetrainOutcome:
    if job["status"] == "succeeded":
        return applyresults.RetrainOutcome(
            bot_id,
            applyresults.TrainingStatus.SUCCEEDED,
            job_id=job["jobId"],
            model_version=job.get("modelVersion"),
            seconds=elapsed,
        )
    return applyresults.RetrainOutcome(
        bot_id,
        applyresults.TrainingStatus.FAILED,
        job_id=job["jobId"],
        error=job.get("error") or "training failed",
        seconds=elapsed,
    )
