"""applying, writing, retraining, releasing: against the emulator in-process, time injected.

The client is the real ``PlatformBackend`` over ``httpx.ASGITransport``; the emulator and the
client's retries share a fake clock whose ``sleep`` moves time at once, so training and
retries take no wall time.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import harness
import pytest
from fakes import DelegatingBackend

from reconciler import errors
from reconciler.backend import client
from reconciler.core import livestate, normalizing, planning, plans
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.emulator.platform import TenantState
from reconciler.engine import applying, applyresults, fetching, releasing, rollbackplans
from reconciler.manifests import models, validating

HERE = Path(__file__).parent
FIXTURE = HERE / "e2e" / "fixtures" / "tenant.yaml"
PROJECT = HERE / "e2e" / "project"
CANARY = "canary-5ecret-unit-41d2"
ALL_SCOPES = (
    "cognigy:platform:read", "cognigy:integrations:write", "cognigy:slots:write",
    "cognigy:nlp:retrain", "context:write", "simulation:execute",
)
T = TypeVar("T")


class Tenant(harness.EmulatedTenant):
    """The e2e fixture served in-process; ``backend()`` is the real client."""

    def __init__(self) -> None:
        super().__init__(TenantState.from_fixture(FIXTURE))
        project = validating.load_project([PROJECT], env="test")
        self.manifests = [m.manifest for m in project.manifests]
        self.bot_ids = {"support": "bot_support"}

    def backend(self, client_id: str = "e2e-client", client_secret: str = "e2e-client-secret",
                scopes: Sequence[str] = ALL_SCOPES, **kw: Any) -> client.PlatformBackend:
        return super().backend(client_id, client_secret, scopes, **kw)

    def options(self, **kw: Any) -> applying.ApplyOptions:
        return applying.ApplyOptions(
            clock=self.clock, sleep=self.clock.sleep, env={"E2E_CRM_TOKEN": CANARY},
            **kw,
        )

    async def plan(
        self, backend: client.PlatformBackend, manifests: Sequence[Any] | None = None
    ) -> tuple[plans.Plan, livestate.LiveState]:
        live = await fetching.fetch_live_state(backend, ["bot_support"])
        made = planning.build_plan(
            manifests if manifests is not None else self.manifests, live,
            bot_ids=self.bot_ids, target="test", secrets={"E2E_CRM_TOKEN": CANARY},
        )
        return made, live


def run(body: Callable[[Tenant], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(body(Tenant()))


def _slot(name: str, pattern: str, deps: Sequence[str] = ()) -> models.Slot:
    return models.Slot.model_validate({
        "apiVersion": "cogctl/v1", "kind": "Slot",
        "metadata": {"name": name, "bot": "support"},
        "spec": {"patterns": [pattern], "dependencies": list(deps)},
    })


def _replace_slot(manifests: Sequence[Any], slot: models.Slot) -> list[Any]:
    return [slot if getattr(m, "address", None) == slot.address else m for m in manifests]


def _outcomes(result: applyresults.ApplyResult) -> dict[str, str]:
    return {c.address: c.outcome.value for c in result.changes}


def test_apply_creates_everything_retrains_once_and_converges() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        result = await applying.apply_plan(backend, made, options=t.options())
        assert set(_outcomes(result).values()) == {"applied"}
        assert len(result.changes) == 4
        (retrain,) = result.retrains
        assert retrain.ok
        assert retrain.bot_id == "bot_support"
        retrain_posts = [w for w in await t.writes() if w["path"].endswith("/nlp/retrain")]
        assert len(retrain_posts) == 1
        again, _ = await t.plan(backend)
        assert not again.pending()
        await backend.aclose()

    run(body)


def test_missing_secret_is_an_error_before_any_write() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        options = dataclasses.replace(t.options(), env={})
        with pytest.raises(errors.ConfigError, match="E2E_CRM_TOKEN"):
            await applying.apply_plan(backend, made, options=options)
        assert await t.writes() == []
        await backend.aclose()

    run(body)


async def _apply_all(t: Tenant, backend: client.PlatformBackend) -> None:
    made, _ = await t.plan(backend)
    assert (await applying.apply_plan(backend, made, options=t.options())).writes_ok


def test_version_conflict_is_left_alone_and_dependants_wait() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _apply_all(t, backend)
        wanted = _replace_slot(t.manifests, _slot("order_number", r"ORD-\d{5,6}"))
        wanted = _replace_slot(wanted, _slot("email", r"[a-z]+@example\.com", ["order_number"]))
        made, _ = await t.plan(backend, wanted)
        live = next(s for s in await backend.list_slots("bot_support") if s["name"] == "order_number")
        outside: lt.SlotWrite = {
            "botId": live["botId"], "name": live["name"], "type": live["type"],
            "fillStrategy": live["fillStrategy"], "labels": live["labels"],
            "patterns": ["X"], "dependencies": [], "triggerRetrain": False,
        }
        await backend.put_slot(live["slotId"], outside)
        result = await applying.apply_plan(backend, made, options=t.options())
        assert _outcomes(result) == {
            "Slot/support/order_number": "conflict",
            "Slot/support/email": "not attempted",
        }
        assert not result.writes_ok
        assert result.retrains == ()  # no slot written, nothing to retrain
        conflict = result.changes[0]
        assert "changed outside cogctl since the plan" in conflict.message
        forced = await applying.apply_plan(backend, made, options=t.options(force=True))
        assert set(_outcomes(forced).values()) == {"applied"}
        assert "overwritten (--force)" in forced.changes[0].message
        assert not (await t.plan(backend, wanted))[0].pending()
        await backend.aclose()

    run(body)


def _with_language(manifests: Sequence[Any], language: str) -> list[Any]:
    wanted = models.ContextDefaults.model_validate({
        "apiVersion": "cogctl/v1", "kind": "ContextDefaults",
        "metadata": {"name": "support-defaults", "bot": "support"},
        "spec": {"variables": {"language": {"value": language, "scope": "global"},
                               "maxRetries": {"value": 3, "scope": "conversation"}}},
    })
    return [wanted if getattr(m, "address", None) == wanted.address else m for m in manifests]


@pytest.mark.parametrize(
    ("outside_key", "outcome"),
    [
        ("campaign", "applied"),  # another team's key: the merge of ours still holds
        ("language", "conflict"),  # a key this change writes: someone else's edit wins
    ],
)
def test_context_conflict_is_judged_by_the_keys_the_change_writes(
    outside_key: str, outcome: str
) -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _apply_all(t, backend)
        wanted = _with_language(t.manifests, "de")
        made, _ = await t.plan(backend, wanted)
        live = await backend.get_context("bot_support")
        await backend.patch_context(
            "bot_support", {outside_key: {"value": "fr", "scope": "global"}},
            if_match=live["contextVersion"],
        )
        result = await applying.apply_plan(backend, made, options=t.options())
        assert _outcomes(result) == {"ContextDefaults/support/support-defaults": outcome}
        after = (await backend.get_context("bot_support"))["context"]
        assert after[outside_key]["value"] == "fr"  # an outside edit is never lost
        if outcome == "applied":
            assert after["language"]["value"] == "de"
            assert "not in the keys this change writes" in result.changes[0].message
            assert not (await t.plan(backend, wanted))[0].pending()
        await backend.aclose()

    run(body)


def test_name_conflict_adopts_an_identical_integration_only() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        change = next(c for c in made.pending() if c.kind == "Integration")
        assert isinstance(change.write, wt.IntegrationBody)
        # an earlier run created it, then lost the answer and its idempotency key
        await backend.create_integration(change.write.wire(CANARY))
        result = await applying.apply_plan(backend, made, options=t.options())
        assert _outcomes(result)[change.address] == "applied"
        assert "already as planned" in result.changes[0].message
        names = [i["name"] for i in await backend.list_integrations("bot_support")]
        assert sorted(names) == ["crm-lookup", "legacy-webhook"]
        await backend.aclose()

    run(body)


def test_name_conflict_with_other_content_is_a_conflict() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        change = next(c for c in made.pending() if c.kind == "Integration")
        assert isinstance(change.write, wt.IntegrationBody)
        other: Any = {**change.write.wire("another-secret"), "description": "x"}
        await backend.create_integration(other)
        result = await applying.apply_plan(backend, made, options=t.options())
        assert _outcomes(result)[change.address] == "conflict"
        assert "an integration of that name exists" in result.changes[0].message
        assert CANARY not in result.changes[0].message
        await backend.aclose()

    run(body)


class _Counting(DelegatingBackend):
    """The real backend, counting slot writes in flight and their order."""

    def __init__(self, inner: client.PlatformBackend) -> None:
        super().__init__(inner)
        self.in_flight = 0
        self.peak = 0
        self.order: list[str] = []

    async def put_slot(
        self, slot_id: str, body: lt.SlotWrite, *, if_match: str | None = None,
        create_only: bool = False,
    ) -> tuple[lt.LiveSlot, str | None]:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0)
            answer = await self.inner.put_slot(slot_id, body, if_match=if_match,
                                               create_only=create_only)
            self.order.append(body["name"])
            return answer
        finally:
            self.in_flight -= 1


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded_and_dependencies_come_first(concurrency: int) -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        wanted = [_slot(f"s{i:02d}", rf"S{i}-\d+") for i in range(12)]
        wanted += [_slot("last", r"L\d+", ["s00", "s11"])]
        made, _ = await t.plan(backend, wanted)
        counting = _Counting(backend)
        result = await applying.apply_plan(
            counting, made, options=t.options(concurrency=concurrency)
        )
        assert result.writes_ok
        assert counting.peak == concurrency
        assert counting.order[-1] == "last"
        await backend.aclose()

    run(body)


def test_a_scope_error_stops_the_run() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend(
            scopes=("cognigy:platform:read", "cognigy:integrations:write", "context:write")
        )
        made, _ = await t.plan(backend)
        result = await applying.apply_plan(backend, made, options=t.options(concurrency=1))
        assert _outcomes(result) == {
            "Integration/support/crm-lookup": "applied",
            "Slot/support/order_number": "failed",
            "Slot/support/email": "not attempted",
            "ContextDefaults/support/support-defaults": "not attempted",
        }
        assert "insufficient_scope" in result.changes[1].message
        await backend.aclose()

    run(body)


def test_a_marker_that_cannot_be_recorded_stops_the_run_before_any_write() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend(scopes=ALL_SCOPES[:3])  # no context:write
        made, _ = await t.plan(backend)
        await t.clear_requests()
        result = await applying.apply_plan(backend, made, options=t.options(concurrency=1))
        assert set(_outcomes(result).values()) == {"not attempted"}
        assert "could not record the pending retraining of bot_support" in (
            result.changes[0].message
        )
        assert "insufficient_scope" in result.changes[0].message
        assert [(r["method"], r["path"]) for r in await t.writes()] == [
            ("PATCH", "/api/v1/bots/bot_support/context")  # refused: 403
        ]
        assert result.retrains == ()
        await backend.aclose()

    run(body)


def test_retraining_past_its_deadline_times_out() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        made, _ = await t.plan(backend)
        options = t.options(retrain_deadline_seconds=0.05, poll_seconds=0.01)
        result = await applying.apply_plan(backend, made, options=options)
        (retrain,) = result.retrains
        assert retrain.status is applyresults.TrainingStatus.TIMED_OUT
        assert "after 0.05s" in (retrain.error or "")
        await backend.aclose()

    run(body)


def test_release_rolls_back_a_slot_that_extracts_worse() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _apply_all(t, backend)
        worse = _slot("order_number", r"ORD-\d{3}")
        made, live = await t.plan(backend, _replace_slot(t.manifests, worse))
        vopts = releasing.VerifyOptions(rollback=True, clock=t.clock, sleep=t.clock.sleep)
        done = await releasing.release(
            backend, made, live, apply_options=t.options(), verify=vopts
        )
        first, second = done.rounds
        assert not done.verified
        (verdict,) = first.slots
        assert (verdict.baseline, verdict.success_rate, verdict.passed) == (1.0, 0.0, False)
        assert second.passed
        assert second.label == "after rollback"
        assert done.rollback is not None
        assert done.rollback.writes_ok
        assert done.coverage == rollbackplans.Coverage(restored=("Slot/support/order_number",))
        restored = await backend.list_slots("bot_support")
        assert [s["patterns"] for s in restored if s["name"] == "order_number"] == [[r"ORD-\d{6}"]]
        assert not (await t.plan(backend))[0].pending()  # back where the old manifests were
        await backend.aclose()

    run(body)


def test_release_rollback_deletes_a_slot_it_created() -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _apply_all(t, backend)
        bad_new = _slot("ticket", r"TCK-\d+", ["order_number"])
        strict = bad_new.model_copy(
            update={"spec": bad_new.spec.model_copy(
                update={"verify": models.SlotVerify(minExtractionRate=1.0)}
            )}
        )
        made, live = await t.plan(backend, [*t.manifests, strict])
        vopts = releasing.VerifyOptions(
            rollback=True, clock=t.clock, sleep=t.clock.sleep, metrics_deadline_seconds=1.0
        )
        done = await releasing.release(backend, made, live, apply_options=t.options(), verify=vopts)
        assert not done.verified  # no labelled utterances: the new slot cannot reach 1.0
        assert done.rollback is not None
        assert [c.action for c in done.rollback.changes] == ["delete"]
        assert done.coverage == rollbackplans.Coverage(removed=("Slot/support/ticket",))
        names = sorted(s["name"] for s in await backend.list_slots("bot_support"))
        assert names == ["email", "order_number"]
        await backend.aclose()

    run(body)




@pytest.mark.parametrize(
    ("outside_key", "outcome"),
    [
        ("campaign", "applied"),  # another team's key: the plan's removal still holds
        ("language", "conflict"),  # a variable the delete removes was edited since the plan
    ],
)
def test_a_context_delete_sends_the_plans_removal_and_a_changed_variable_is_a_conflict(
    outside_key: str, outcome: str
) -> None:
    async def body(t: Tenant) -> None:
        backend = t.backend()
        await _apply_all(t, backend)
        rest = [m for m in t.manifests if m.kind != "ContextDefaults"]
        live = await fetching.fetch_live_state(backend, ["bot_support"])
        made = planning.build_plan(rest, live, bot_ids=t.bot_ids, target="test", prune=True)
        (delete,) = made.pending()
        assert delete.write == wt.ContextRemoval(("language", "maxRetries"))
        current = await backend.get_context("bot_support")
        await backend.patch_context(
            "bot_support", {outside_key: {"value": "fr", "scope": "global"}},
            if_match=current["contextVersion"],
        )
        await t.clear_requests()
        result = await applying.apply_plan(backend, made, options=t.options())
        assert _outcomes(result) == {delete.address: outcome}
        sent = [(r["method"], r["path"]) for r in await t.requests()
                if not r["path"].startswith("/api/v1/auth/")]
        # the plan's body first, nothing read to recompute it; one read after the 409
        assert sent[:2] == [("PATCH", "/api/v1/bots/bot_support/context"),
                            ("GET", "/api/v1/bots/bot_support/context")]
        after = (await backend.get_context("bot_support"))["context"]
        assert after[outside_key]["value"] == "fr"  # an outside edit is never lost
        if outcome == "conflict":
            assert "changed outside cogctl since the plan" in result.changes[0].message
            assert normalizing.CONTEXT_APPLIED_KEY in after  # nothing removed
        else:
            assert "language" not in after
            assert "maxRetries" not in after
            assert normalizing.CONTEXT_APPLIED_KEY not in after
            live = await fetching.fetch_live_state(backend, ["bot_support"])
            again = planning.build_plan(rest, live, bot_ids=t.bot_ids, target="test", prune=True)
            assert not again.pending()  # converged
            await t.clear_requests()
            assert (await applying.apply_plan(backend, again, options=t.options())).changes == ()
            assert await t.writes() == []
        await backend.aclose()

    run(body)
