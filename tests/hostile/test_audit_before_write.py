"""Every write is recorded durably before it is sent; a recorder that fails stops the apply.

Against the emulator in-process (the ``test_applying`` harness): a listener stands in for the
audit log and fails at the Nth record, and the emulator's request log shows exactly which
writes reached the tenant.
"""

from __future__ import annotations

import pytest
from test_applying import Tenant, run

from reconciler import errors
from reconciler.engine import applying, progress, releasing


class Journal:
    """Records events; raises AuditError from the ``fail_at``-th record on."""

    def __init__(self, fail_at: int | None) -> None:
        self.fail_at = fail_at
        self.events: list[progress.Event] = []

    def __call__(self, event: progress.Event) -> None:
        if not isinstance(event, (progress.WriteStarting, progress.ChangeOutcome)):
            return
        if self.fail_at is not None and len(self.events) + 1 >= self.fail_at:
            raise errors.AuditError("cannot write the audit log: disk full")
        self.events.append(event)


def _intents(journal: Journal) -> list[str]:
    return [e.address for e in journal.events if isinstance(e, progress.WriteStarting)]


def test_every_write_is_announced_before_it_is_sent() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        journal = Journal(fail_at=None)
        order: list[str] = []

        def listen(event: progress.Event) -> None:
            journal(event)
            if isinstance(event, (progress.WriteStarting, progress.ChangeOutcome)):
                order.append(f"{type(event).__name__}:{event.address}")

        result = await applying.apply_plan(backend, made, options=t.options(), on_event=listen)
        assert result.writes_ok
        assert result.halted is None
        for change in made.pending():
            assert order.index(f"WriteStarting:{change.address}") < order.index(
                f"ChangeOutcome:{change.address}")
        assert "bot_support" in _intents(journal)  # the retraining is announced too
        await backend.aclose()

    run(body)


@pytest.mark.parametrize("fail_at", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_failing_audit_log_stops_before_the_next_write(fail_at: int, concurrency: int) -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, live = await t.plan(backend)
        await t.admin("DELETE", "requests")
        journal = Journal(fail_at=fail_at)
        done = await releasing.release(
            backend, made, live, apply_options=t.options(concurrency=concurrency),
            on_event=journal,
        )
        result = done.result
        assert result.halted is not None
        assert "audit log" in result.halted
        assert not result.writes_ok
        assert done.rounds == ()  # nothing verified after a halt
        # every change the tenant received had its intent recorded first
        announced = set(_intents(journal))
        writes = await t.writes()
        for change in made.pending():
            if change.address not in announced:
                outcome = {c.address: c for c in result.changes}[change.address]
                assert outcome.outcome.value == "not attempted", outcome
        sent = [w for w in writes if str(w["path"]).startswith(("/api/v1/slots/",
                                                                  "/api/v1/integrations"))]
        assert len(sent) <= len(announced)
        assert not any(str(w["path"]).endswith("/nlp/retrain") for w in writes)
        await backend.aclose()

    run(body)
