"""Zero phantom changes: what a plan writes, stored by the emulator, plans as all no-op.

The plan's write bodies are sent as they are through the real client to the emulator
in-process; the next plan must be all no-op and must cost reads only. Drift and prune are
then exercised against the same stored objects.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.core import livetypes as lt
from reconciler.core import planning, plans
from reconciler.engine import fetching

from . import builders as b
from .emulated import Tenant, api_requests, execute

BOTS = {"support": "bot_sup", "sales": "bot_sal"}
ENV = {"CRM_TOKEN": b.CANARY}


def _desired() -> list[Any]:
    return [
        b.integration(
            "crm_lookup", secret_env="CRM_TOKEN", method="POST", headers={"X-B": "2", "X-A": "1"},
            requestMapping={"body": {"order": "{{order_number}}"}},
            responseMapping={"extract": "data.items[0]", "normalize": "flatten"},
            labels={"team": "crm"},
        ),
        b.integration("status_page", bot="sales", url="https://status.example.com"),
        b.slot("order_number", patterns=(r"\b\d{5}\b",), fillStrategy="firstMatch"),
        b.slot("order_item", patterns=("item", "article"), dependencies=("order_number",)),
        b.slot("gift_note", dependencies=("order_item", "order_number"), labels={"x": "y"}),
        b.slot("region", bot="sales", patterns=("north", "south"), type="keyphrase"),
        b.context({"lang": {"value": "en"}, "limits": {"value": {"max": 3, "units": [1, 2.5]},
                                                        "scope": "user"}}),
    ]


def _tenant() -> Tenant:
    return Tenant([
        {"botId": "bot_sup",
         "slots": [{"name": "hand_made", "patterns": ["manual"]}],
         "context": {"someone_elses": {"value": True, "scope": "global"}}},
        {"botId": "bot_sal"},
    ])


async def _plan(tenant: Tenant, desired: list[Any], **kw: Any) -> plans.Plan:
    live = await tenant.fetch(BOTS.values())
    return planning.build_plan(desired, live, bot_ids=BOTS, target="emulator", secrets=ENV, **kw)


async def _apply(tenant: Tenant, plan: plans.Plan) -> None:
    backend = tenant.backend()
    try:
        await execute(backend, plan, ENV)
    finally:
        await backend.aclose()


def test_applied_plan_plans_to_nothing_with_reads_only() -> None:
    tenant = _tenant()

    async def run() -> None:
        desired = _desired()
        first = await _plan(tenant, desired)
        assert first.summary() == plans.Summary(create=7, update=0, delete=0, unchanged=0)
        assert first.unmanaged == ("Slot/support/hand_made",)
        await _apply(tenant, first)
        await tenant.clear_requests()
        second = await _plan(tenant, desired)
        assert [(c.address, c.action) for c in second.changes if c.action is not plans.Action.NOOP] == []
        assert second.summary().unchanged == 7
        assert {e["method"] for e in api_requests(await tenant.requests())} == {"GET"}
        assert second.unmanaged == ("Slot/support/hand_made",)

    asyncio.run(run())


def test_outside_edit_shows_as_drift_and_converges_again() -> None:
    tenant = _tenant()

    async def run() -> None:
        desired = _desired()
        await _apply(tenant, await _plan(tenant, desired))
        backend = tenant.backend()
        try:
            live = (await fetching.fetch_live_state(backend, ["bot_sup"])).bot("bot_sup")
            stored = live.slot_named("order_item")
            assert stored is not None
            body: lt.SlotWrite = {
                "botId": "bot_sup", "name": "order_item", "type": "regex",
                "patterns": ["item", "article", "thing"], "fillStrategy": stored["fillStrategy"],
                "dependencies": stored["dependencies"], "triggerRetrain": False,
                "labels": stored["labels"],
            }
            await backend.put_slot(stored["slotId"], body, if_match=stored["version"])
        finally:
            await backend.aclose()
        drifted = await _plan(tenant, desired)
        [change] = drifted.pending()
        assert (change.address, change.drift) == ("Slot/support/order_item", True)
        assert change.diff == (plans.FieldDiff("spec.patterns[2]", "thing", None),)
        assert drifted.retrain == ("bot_sup",)
        await _apply(tenant, drifted)
        assert not (await _plan(tenant, desired)).summary().has_changes

    asyncio.run(run())


def test_prune_removes_only_what_cogctl_wrote() -> None:
    tenant = _tenant()

    async def run() -> None:
        desired = _desired()
        await _apply(tenant, await _plan(tenant, desired))
        fewer = [m for m in desired if m.address not in
                 {"Slot/support/gift_note", "Slot/support/order_item", "ContextDefaults/support/defaults"}]
        kept = await _plan(tenant, fewer)
        assert kept.orphaned == ("ContextDefaults/support/defaults", "Slot/support/gift_note",
                                 "Slot/support/order_item")
        assert not kept.summary().has_changes
        pruned = await _plan(tenant, fewer, prune=True)
        assert [c.address for c in pruned.pending()] == [
            "ContextDefaults/support/defaults", "Slot/support/gift_note", "Slot/support/order_item"
        ]
        await _apply(tenant, pruned)
        after = await _plan(tenant, fewer, prune=True)
        assert not after.summary().has_changes
        assert after.orphaned == ()
        assert after.unmanaged == ("Slot/support/hand_made",)
        backend = tenant.backend()
        try:
            context = await backend.get_context("bot_sup")
        finally:
            await backend.aclose()
        assert context["context"] == {"someone_elses": {"value": True, "scope": "global"}}

    asyncio.run(run())
