"""NLU retraining jobs, computed lazily from the clock and stored timestamps.

A job lives ``trainingSeconds`` of clock time: queued for the first tenth, running for the
rest, then settled. No background task exists: every request first calls ``settle``, which
commits each job whose time is up (the bot's model and model version on success, the error
on failure). So a state saved mid-training and loaded by another process finishes the same.

One queued or running job per bot: later retrain requests join it. The trained model is the
bot's slots when training started: while the job is queued every slot change of the bot
refreshes its snapshot; once running the snapshot is frozen.

The training engine is RE2: a pattern Python ``re`` accepts but RE2 refuses (a lookahead, a
backreference) fails the job with an error naming the slot.
"""

from __future__ import annotations

import uuid

import re2
from pydantic import JsonValue

from reconciler.emulator.platform import records, wire
from reconciler.emulator.platform.state import TenantState

QUEUED_SHARE = 0.1

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def bot_slots(state: TenantState, bot_id: str) -> list[records.SlotRecord]:
    """The bot's current slots, by name, as copies (a snapshot must not alias live objects)."""
    slots = [s for s in state.slots.values() if s.botId == bot_id]
    return [s.model_copy(deep=True) for s in sorted(slots, key=lambda s: s.name)]


def _end(job: records.JobRecord) -> float:
    return job.createdAt + job.queueSeconds + job.trainingSeconds


def active_job(state: TenantState, bot_id: str) -> records.JobRecord | None:
    for job in state.jobs.values():
        if job.botId == bot_id and not job.settled:
            return job
    return None


def start_or_join(state: TenantState, bot_id: str, now: float) -> records.JobRecord:
    """The bot's queued or running job, or a new one."""
    settle(state, now)
    job = active_job(state, bot_id)
    if job is not None:
        return job
    total = state.settings.trainingSeconds
    job = records.JobRecord(
        jobId=f"job_{uuid.uuid4().hex[:16]}", botId=bot_id, createdAt=now,
        queueSeconds=total * QUEUED_SHARE, trainingSeconds=total * (1 - QUEUED_SHARE),
        snapshot=bot_slots(state, bot_id), modelVersion=f"mv{state.next_version()}",
    )
    state.jobs[job.jobId] = job
    settle(state, now)  # a zero-second training finishes at once
    return job


def slots_changed(state: TenantState, bot_id: str, now: float) -> None:
    """A slot of the bot changed: a job still queued trains the new slots."""
    job = active_job(state, bot_id)
    if job is not None and now < job.createdAt + job.queueSeconds:
        job.snapshot = bot_slots(state, bot_id)


def settle(state: TenantState, now: float) -> None:
    """Commit every job whose training time is over, oldest first."""
    due = [j for j in state.jobs.values() if not j.settled and _end(j) <= now]
    for job in sorted(due, key=lambda j: j.createdAt):
        job.settled = True
        job.error = _engine_error(job.snapshot)
        bot = state.bots.get(job.botId)
        if job.error is None and bot is not None:
            bot.model = [s.model_copy(deep=True) for s in job.snapshot]
            bot.modelVersion = job.modelVersion


def _engine_error(snapshot: list[records.SlotRecord]) -> str | None:
    for slot in snapshot:
        if slot.type != "regex":
            continue
        for pattern in slot.patterns:
            try:
                re2.compile(pattern, options=_RE2_OPTIONS)
            except re2.error as exc:
                reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) \
                    else str(exc)
                return (f"slot {slot.name!r} ({slot.slotId}): pattern {pattern!r} is not "
                        f"supported by the training engine (RE2): {reason}")
    return None


def status(job: records.JobRecord, now: float) -> str:
    if job.settled:
        return "failed" if job.error else "succeeded"
    return "queued" if now < job.createdAt + job.queueSeconds else "running"


def view(job: records.JobRecord, now: float) -> dict[str, JsonValue]:
    """The job as ``GET /api/v1/nlp/jobs/{jobId}`` answers it."""
    state_now = status(job, now)
    if state_now == "queued":
        progress = 0.0
    elif state_now == "running":
        progress = min(1.0, max(0.0, (now - job.createdAt - job.queueSeconds)
                                / max(job.trainingSeconds, 1e-9)))
    else:
        progress = 1.0
    started = job.createdAt + job.queueSeconds
    return {
        "jobId": job.jobId,
        "botId": job.botId,
        "status": state_now,
        "progress": round(progress, 4),
        "modelVersion": job.modelVersion if state_now == "succeeded" else None,
        "error": job.error,
        "startedAt": None if state_now == "queued" else wire.timestamp(started),
        "finishedAt": wire.timestamp(_end(job)) if job.settled else None,
    }

