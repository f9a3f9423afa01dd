"""Applied hashes are versioned: objects applied by an earlier cogctl still compare.

Version 1 applied hashes (written before they carried a version) are the bare hex SHA-256 of
the RFC 8785 bytes of the normalized content; version 2 writes ``v2:<hex>``. A tenant applied
with version 1 applied hashes must plan to nothing with the current code (no phantom change, no
phantom drift), and still show real drift and real manifest changes.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
from typing import Any

import pytest
import rfc8785

from reconciler.core import canonical, normalizing, planning, plans
from reconciler.core import writetypes as wt
from reconciler.engine import fetching

from . import builders as b
from .emulated import Tenant, execute

BOTS = {"support": "bot_sup"}
ENV = {"CRM_TOKEN": b.CANARY}


def _desired(extra_pattern: bool = False) -> list[Any]:
    patterns = ("item", "article", "new") if extra_pattern else ("item", "article")
    return [
        b.integration("crm_lookup", secret_env="CRM_TOKEN", headers={"X-B": "2", "X-A": "1"},
                      labels={"team": "crm"}),
        b.slot("order_number", patterns=(r"\b\d{5}\b",), fillStrategy="firstMatch"),
        b.slot("order_item", patterns=patterns, dependencies=("order_number",)),
        b.context({"lang": {"value": "en"}, "limits": {"value": {"max": 3, "ratio": 2.5}}}),
    ]


def _v1(applied_hash: str) -> str:
    assert canonical.hash_version(applied_hash) == "v2"
    return applied_hash.removeprefix("v2:")


def _as_written_by_v1(plan: plans.Plan) -> plans.Plan:
    """The same plan, its applied hashes written the way cogctl wrote them before versioning."""
    changes = []
    for change in plan.changes:
        write: Any = copy.deepcopy(change.write)
        if isinstance(write, wt.IntegrationBody | wt.SlotBody):
            labels = write.body["labels"]
            labels[normalizing.HASH_LABEL] = _v1(labels[normalizing.HASH_LABEL])
            # The v1 definition, independently: hex SHA-256 of the RFC 8785 bytes.
            assert labels[normalizing.HASH_LABEL] == hashlib.sha256(
                rfc8785.dumps(change.after)).hexdigest()
        elif isinstance(write, wt.ContextPatch):
            value: Any = write.changes[normalizing.CONTEXT_APPLIED_KEY]
            value["value"]["hash"] = _v1(value["value"]["hash"])
        changes.append(plans.Change(**{**change.__dict__, "write": write}))
    return plans.Plan(**{**plan.__dict__, "changes": tuple(changes)})


async def _plan(tenant: Tenant, desired: list[Any]) -> plans.Plan:
    live = await tenant.fetch(BOTS.values())
    return planning.build_plan(desired, live, bot_ids=BOTS, target="emulator", secrets=ENV)


async def _apply_v1(tenant: Tenant, desired: list[Any]) -> None:
    plan = _as_written_by_v1(await _plan(tenant, desired))
    assert plan.summary().create == 4
    backend = tenant.backend()
    try:
        await execute(backend, plan, ENV)
        slot = (await fetching.fetch_live_state(backend, ["bot_sup"])).bot("bot_sup").slot_named(
            "order_item")
        assert slot is not None
        assert canonical.hash_version(slot["labels"][normalizing.HASH_LABEL]) == "v1"
    finally:
        await backend.aclose()


def test_v1_applied_hashes_plan_to_nothing_and_no_drift() -> None:
    tenant = Tenant([{"botId": "bot_sup"}])

    async def run() -> None:
        await _apply_v1(tenant, _desired())
        again = await _plan(tenant, _desired())
        assert not again.summary().has_changes
        assert not [c.address for c in again.changes if c.drift]
        # A manifest change against a v1 applied hash: an update from the manifests, not drift.
        changed = await _plan(tenant, _desired(extra_pattern=True))
        [change] = changed.pending()
        assert (change.address, change.drift) == ("Slot/support/order_item", False)
        assert "adopts" not in change.reason
        assert "outside" not in change.reason
        # Applying it writes a v2 applied hash; the plan after that is empty again.
        backend = tenant.backend()
        try:
            await execute(backend, changed, ENV)
        finally:
            await backend.aclose()
        assert not (await _plan(tenant, _desired(extra_pattern=True))).summary().has_changes

    asyncio.run(run())


def test_v1_applied_hash_still_shows_an_outside_edit_as_drift() -> None:
    tenant = Tenant([{"botId": "bot_sup"}])

    async def run() -> None:
        await _apply_v1(tenant, _desired())
        backend = tenant.backend()
        try:
            live = (await fetching.fetch_live_state(backend, ["bot_sup"])).bot("bot_sup")
            stored = live.slot_named("order_number")
            assert stored is not None
            await backend.put_slot(stored["slotId"], {
                "botId": "bot_sup", "name": "order_number", "type": "regex",
                "patterns": ["by hand"], "fillStrategy": stored["fillStrategy"],
                "dependencies": [], "triggerRetrain": False, "labels": stored["labels"],
            }, if_match=stored["version"])
        finally:
            await backend.aclose()
        drifted = await _plan(tenant, _desired())
        [change] = drifted.pending()
        assert (change.address, change.drift) == ("Slot/support/order_number", True)
        assert change.reason.startswith("changed outside cogctl since last apply")

    asyncio.run(run())


CONTENT: dict[str, Any] = {"spec": {"b": 1.0, "a": "é"}, "labels": {"ü": "x", "k": [True, None, 2]}}


@pytest.mark.parametrize(
    ("applied_hash", "matches"),
    [
        (canonical.content_hash(CONTENT), True),
        (hashlib.sha256(rfc8785.dumps(CONTENT)).hexdigest(), True),  # v1: bare digest
        (canonical.content_hash({"spec": {}}), False),
        (hashlib.sha256(b"{}").hexdigest(), False),
        ("v9:" + "0" * 64, False),  # a version this code does not know vouches for nothing
        ("abc", False),
        ("v2:" + "A" * 64, False),
    ],
    ids=["v2", "v1", "v2-other", "v1-other", "unknown-version", "garbled", "v2-garbled"],
)
def test_applied_hash_matches(applied_hash: str, matches: bool) -> None:
    assert canonical.applied_hash_matches(applied_hash, CONTENT) is matches
    current = canonical.content_hash(CONTENT)
    assert canonical.applied_hash_matches(applied_hash, CONTENT, current=current) is matches


def test_hash_versions() -> None:
    applied_hash = canonical.content_hash({"a": 1})
    assert applied_hash.startswith("v2:")
    assert len(applied_hash) == 67
    assert canonical.hash_version(applied_hash) == "v2"
    assert canonical.hash_version(applied_hash[3:]) == "v1"
    assert canonical.hash_version("v3:" + applied_hash[3:]) is None
