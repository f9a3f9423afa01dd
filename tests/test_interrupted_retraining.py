"""An apply cut off between its slot writes and its retraining converges on the next run.

Against the emulator in-process (``test_applying.Tenant``: the real client over
``httpx.ASGITransport``, time injected). The story each test tells: the pending-retraining
marker is set before the slot writes, survives the cut, makes the next plan list the bot,
and the next apply retrains, verifies and clears it; the plan after that is empty and writes
nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fakes import DelegatingBackend
from test_applying import Tenant, _replace_slot, _slot, run

from reconciler import errors
from reconciler.core import livetypes as lt
from reconciler.core import plans, retrainmarker
from reconciler.engine import applying, applyresults, releasing

REASON = "Retraining pending from an interrupted apply: bot_support"
CONTEXT = "/api/v1/bots/bot_support/context"


class _KilledBeforeRetraining(DelegatingBackend):
    """Delegates to the real client; the process 'dies' (cancelled) as retraining starts."""

    async def start_retrain(self, bot_id: str) -> lt.RetrainJob:
        raise asyncio.CancelledError


async def _writes(t: Tenant) -> list[tuple[str, str]]:
    return [(w["method"], w["path"]) for w in await t.writes()]


async def _converged(t: Tenant, backend: Any) -> None:
    made, _ = await t.plan(backend)
    result = await applying.apply_plan(backend, made, options=t.options())
    assert result.writes_ok
    assert result.training_ok


async def _marker(backend: Any) -> retrainmarker.Marker | None:
    return retrainmarker.marker_of(await backend.get_context("bot_support"))


async def _resume_and_converge(t: Tenant, backend: Any, *, checked: set[str]) -> None:
    """The next plan lists the pending retraining; the next apply retrains, verifies, clears."""
    pending, live = await t.plan(backend)
    assert pending.pending() == ()
    assert pending.retrain == ("bot_support",)
    assert [p.reason for p in pending.pending_retrain] == [REASON]
    assert pending.summary().has_changes
    await t.clear_requests()
    vopts = releasing.VerifyOptions(clock=t.clock, sleep=t.clock.sleep)
    done = await releasing.release(backend, pending, live, apply_options=t.options(),
                                   verify=vopts)
    (retrain,) = done.result.retrains
    assert retrain.ok
    assert done.verified
    assert {s.address for s in done.rounds[0].slots} == checked
    assert await _writes(t) == [("POST", "/api/v1/bots/bot_support/nlp/retrain"), ("PATCH", CONTEXT)]
    assert await _marker(backend) is None
    after, _ = await t.plan(backend)
    assert not after.summary().has_changes
    await t.clear_requests()
    assert not (await t.plan(backend))[0].summary().has_changes
    assert await t.writes() == []


def test_a_fault_on_the_retrain_request_is_retrained_by_the_next_apply() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _converged(t, backend)
        changed = _replace_slot(t.manifests, _slot("order_number", r"ORD-\d{6}\b"))
        made, _ = await t.plan(backend, changed)
        await t.clear_requests()
        # the marker PATCH and the slot PUT go through; every retrain attempt fails
        await t.faults(sequence=[None, None, *["503"] * 6])
        result = await applying.apply_plan(backend, made, options=t.options(concurrency=1))
        await t.faults()
        assert result.writes_ok
        (retrain,) = result.retrains
        assert retrain.status is applyresults.TrainingStatus.NOT_STARTED
        writes = await _writes(t)
        assert writes[:2] == [("PATCH", CONTEXT), ("PUT", writes[1][1])]
        assert "/slots/" in writes[1][1]
        assert await _marker(backend) == retrainmarker.Marker()
        (slot,) = made.pending()
        with pytest.raises(errors.MetricsNotReadyError):  # the model is stale
            await backend.get_extraction_metrics("bot_support", slot.live_id or "")
        t.manifests = changed
        await _resume_and_converge(
            t, backend, checked={"Slot/support/email", "Slot/support/order_number"}
        )
        await backend.aclose()

    run(body)


def test_a_run_killed_after_its_writes_is_retrained_by_the_next_apply() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        with pytest.raises(asyncio.CancelledError):
            await applying.apply_plan(_KilledBeforeRetraining(backend), made,
                                      options=t.options())
        assert await _marker(backend) == retrainmarker.Marker()
        await _resume_and_converge(
            t, backend, checked={"Slot/support/email", "Slot/support/order_number"}
        )
        await backend.aclose()

    run(body)


def test_one_slot_change_costs_one_patch_to_set_and_one_to_clear() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _converged(t, backend)
        changed = _replace_slot(t.manifests, _slot("order_number", r"ORD-\d{6}\b"))
        made, _ = await t.plan(backend, changed)
        await t.clear_requests()
        result = await applying.apply_plan(backend, made, options=t.options())
        assert result.writes_ok
        assert result.training_ok
        writes = await _writes(t)
        assert [m for m, _ in writes] == ["PATCH", "PUT", "POST", "PATCH"]
        assert (writes[0][1], writes[2][1], writes[3][1]) == (
            CONTEXT, "/api/v1/bots/bot_support/nlp/retrain", CONTEXT
        )
        assert await _marker(backend) is None
        await backend.aclose()

    run(body)


def test_a_context_change_of_the_same_plan_does_not_conflict_with_the_marker() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)  # creates slots and patches context defaults
        assert {c.kind for c in made.pending()} >= {"Slot", "ContextDefaults"}
        result = await applying.apply_plan(backend, made, options=t.options(concurrency=1))
        assert {c.outcome for c in result.changes} == {applyresults.Outcome.APPLIED}
        assert await _marker(backend) is None
        assert not (await t.plan(backend))[0].summary().has_changes
        await backend.aclose()

    run(body)


def test_a_retraining_past_the_deadline_is_joined_not_restarted() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        short = t.options(retrain_deadline_seconds=0.05, poll_seconds=0.01)
        result = await applying.apply_plan(backend, made, options=short)
        (timed_out,) = result.retrains
        assert timed_out.status is applyresults.TrainingStatus.TIMED_OUT
        assert await _marker(backend) == retrainmarker.Marker(timed_out.job_id)
        pending, _ = await t.plan(backend)
        assert pending.pending_retrain == (plans.PendingRetrain(
            "bot_support", f"{REASON} (job {timed_out.job_id} was still running)",
            timed_out.job_id,
        ),)
        await t.clear_requests()
        resumed = await applying.apply_plan(backend, pending, options=t.options())
        (joined,) = resumed.retrains
        assert joined.ok
        assert joined.job_id == timed_out.job_id
        assert await _writes(t) == [("PATCH", CONTEXT)]  # no second retrain POST
        assert not (await t.plan(backend))[0].summary().has_changes
        await backend.aclose()

    run(body)
