"""The lines progress events print as: one per finished change, verdict, wait or poll.

Pure string building for ``cli/_progress.py``, which decides when to show a line (throttling,
a live display on a terminal). Bots are named by the caller (``orders (bot_orders)``).
"""

from __future__ import annotations

from reconciler.engine import progress

_MARKS = {
    "applied": "+",
    "skipped": "=",
    "conflict": "!",
    "failed": "x",
    "not attempted": "-",
}


def change_line(event: progress.ChangeOutcome) -> str:
    """``+ applied       Slot/b/s``: the mark, the outcome padded, the address, why."""
    detail = f": {event.message}" if event.message else ""
    return f"{_MARKS.get(event.outcome, '?')} {event.outcome:<13} {event.address}{detail}"


def verdict_line(event: progress.Verdict) -> str:
    return f"{'pass' if event.passed else 'FAIL'} {event.subject}: {event.detail}"


def waiting_line(event: progress.Waiting) -> str:
    return f"waiting for {event.what}"


def case_line(event: progress.CaseDone) -> str:
    return (f"simulating {event.suite}: {event.done}/{event.total} cases done, "
            f"{event.failed} not passed, after {event.elapsed:.1f}s")


def retrain_line(event: progress.RetrainUpdate, bot: str) -> str:
    return (f"retraining {bot}: {event.status} "
            f"{event.progress:.0%} after {event.elapsed:.1f}s (job {event.job_id})")
