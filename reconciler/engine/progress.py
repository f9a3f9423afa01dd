"""What apply and verify report while they run, as plain data the CLI renders.

Library code never prints: it calls a ``Listener`` with these events, and the command decides
how to show them (a live display on a terminal, a line every few seconds in CI) and what to
record (the audit log). Every event is immutable and carries no secret value. A listener
that records (the audit log) raises ``errors.AuditError`` when it cannot: apply then sends
no further write (see ``WriteStarting``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.engine.applyresults import ChangeOutcome as ChangeOutcome


@dataclass(frozen=True)
class WriteStarting:
    """A write is about to be sent: a change of the plan, or a bot's retraining
    (``action`` ``retrain``, ``address`` the botId).

    Recording contract: a listener that cannot record it raises ``errors.AuditError``; the
    write is then not sent and the apply stops before any further write.
    """

    address: str
    action: str


@dataclass(frozen=True)
class RetrainUpdate:
    """A retraining job was started or polled. ``progress`` is 0..1; ``elapsed`` in seconds."""

    bot_id: str
    job_id: str
    status: str
    progress: float
    elapsed: float


@dataclass(frozen=True)
class Waiting:
    """A wait that is expected (metrics not ready yet, a simulation still running)."""

    what: str
    elapsed: float


@dataclass(frozen=True)
class Verdict:
    """One verification check decided: a slot's extraction metrics or a simulation suite."""

    subject: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class CaseDone:
    """One simulation case finished: ``done`` of ``total`` cases of ``suite`` so far."""

    suite: str
    case_id: str
    status: str
    done: int
    total: int
    failed: int
    elapsed: float


# ``ChangeOutcome``: a change of the plan finished, whatever its outcome; the very entry the
# apply result holds for it.
Event = WriteStarting | ChangeOutcome | RetrainUpdate | Waiting | Verdict | CaseDone
Listener = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The listener of callers that do not care."""
