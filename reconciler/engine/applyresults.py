"""What apply did: one outcome per change and per retraining, even when it stopped half-way.

``ApplyResult`` is what ``applying.apply_plan`` returns and what the CLI renders and audits;
each ``ChangeOutcome`` of it is also the progress event apply reported when that change
finished.
Invariants: ``changes`` holds exactly one ``ChangeOutcome`` per non-no-op change of the plan,
in plan order; an outcome other than ``APPLIED`` or ``SKIPPED`` means live state does not yet
match the manifests for that address, and a re-run will try it again.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from pydantic import JsonValue


class Outcome(str, enum.Enum):
    """A str, so that every output (progress lines, audit fields, JSON) shows the value."""

    APPLIED = "applied"  # written as planned
    SKIPPED = "skipped"  # nothing to write: live already held what the plan wanted
    CONFLICT = "conflict"  # changed outside since the plan; left alone (see --force)
    FAILED = "failed"  # the API refused or could not be reached
    NOT_ATTEMPTED = "not attempted"  # a dependency did not go through, or the run stopped

    def __str__(self) -> str:
        return self.value


DONE = frozenset({Outcome.APPLIED, Outcome.SKIPPED})


@dataclass(frozen=True)
class ChangeOutcome:
    """How one change of the plan finished: an entry of the result, and the progress event
    apply reports the moment it is known (``progress.Event``)."""

    address: str
    action: str
    outcome: Outcome
    message: str = ""
    version: str | None = None  # the live version after the write, when one was made

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "address": self.address,
            "action": self.action,
            "outcome": self.outcome.value,
            "message": self.message,
            "version": self.version,
        }


class TrainingStatus(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    NOT_STARTED = "not started"  # starting the job failed


@dataclass(frozen=True)
class RetrainOutcome:
    bot_id: str
    status: TrainingStatus
    job_id: str | None = None
    model_version: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is TrainingStatus.SUCCEEDED

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "botId": self.bot_id,
            "status": self.status.value,
            "jobId": self.job_id,
            "modelVersion": self.model_version,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ApplyResult:
    """``halted``: why the run stopped before its end although the tenant did not refuse
    anything (the audit log could not record a write): nothing more was written."""

    changes: tuple[ChangeOutcome, ...] = ()
    retrains: tuple[RetrainOutcome, ...] = field(default=())
    halted: str | None = None

    @property
    def writes_ok(self) -> bool:
        """Every change went through (applied or nothing to do), and the run was not halted."""
        return self.halted is None and all(c.outcome in DONE for c in self.changes)

    @property
    def training_ok(self) -> bool:
        return all(r.ok for r in self.retrains)

    def counts(self) -> dict[str, int]:
        tally = Counter(c.outcome for c in self.changes)
        return {o.value: tally.get(o, 0) for o in Outcome}

    def not_done(self) -> tuple[ChangeOutcome, ...]:
        return tuple(c for c in self.changes if c.outcome not in DONE)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "summary": dict(self.counts()),
            "changes": [c.to_json() for c in self.changes],
            "retrain": [r.to_json() for r in self.retrains],
            "halted": self.halted,
        }
