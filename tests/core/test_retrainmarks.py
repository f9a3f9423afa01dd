"""The pending-retraining marker: reading it, and how planning and the renderers show it.

The marker a live snapshot carries is written into the emulator's context defaults through
the API, as an interrupted apply leaves it; ``marker_of``'s own table is of hand-built
contexts, since it must read garbled entries the API would refuse to store.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from reconciler import errors
from reconciler.core import livestate, planning, plans, retrainmarker
from reconciler.core import livetypes as lt
from reconciler.rendering import jsonout, markdown, text

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup", "sales": "bot_sal"}
ENV = {"CRM_TOKEN": b.CANARY}
REASON = "Retraining pending from an interrupted apply: bot_sup"


def _desired() -> list[Any]:
    return [
        b.slot("order_number"),
        b.slot("order_item", dependencies=("order_number",)),
        b.context({"lang": {"value": "en"}}),
        b.slot("region", bot="sales"),
        b.suite("smoke"),
    ]


def _plan(desired: list[Any], live: livestate.LiveState, **kw: Any) -> plans.Plan:
    return planning.build_plan(desired, live, bot_ids=BOTS, target="test", secrets=ENV, **kw)


def _converged(desired: list[Any]) -> Tenant:
    tenant = Tenant.of(*BOTS.values())
    tenant.apply(_plan(desired, tenant.snapshot()), ENV)
    assert not _plan(desired, tenant.snapshot()).summary().has_changes
    return tenant


def _mark(tenant: Tenant, bot_id: str, entry: Any) -> None:
    stored = tenant.patch_context(bot_id, {retrainmarker.MARKER_KEY: entry})
    assert retrainmarker.marker_of(stored) is not None


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (None, None),
        ({"context": {}}, None),
        ({"context": {"other": {"value": 1, "scope": "global"}}}, None),
        ({"context": {"_cogctl_retrain": {"value": {"jobId": None}, "scope": "global"}}},
         retrainmarker.Marker()),
        ({"context": {"_cogctl_retrain": {"value": {"jobId": "job_1"}, "scope": "global"}}},
         retrainmarker.Marker("job_1")),
        ({"context": {"_cogctl_retrain": {"value": {"jobId": ""}, "scope": "global"}}},
         retrainmarker.Marker()),
        ({"context": {"_cogctl_retrain": "garbled"}}, retrainmarker.Marker()),  # still pending
        ({"context": {"_cogctl_retrain": None}}, retrainmarker.Marker()),
    ],
)
def test_marker_of(context: Any, expected: retrainmarker.Marker | None) -> None:
    # Some entries are deliberately not ContextEntry shapes: garbled wire data must still read.
    live = None if context is None else cast(
        lt.LiveContext, {"botId": "b", "contextVersion": "1", **context})
    assert retrainmarker.marker_of(live) == expected


def test_entries_round_trip_and_touch_only_the_marker_key() -> None:
    for marker in (retrainmarker.Marker(), retrainmarker.Marker("job_9")):
        changes = retrainmarker.set_changes(marker)
        assert list(changes) == ["_cogctl_retrain"]
        live: Any = {"botId": "b", "contextVersion": "1", "context": changes}
        assert retrainmarker.marker_of(live) == marker
    assert retrainmarker.clear_changes() == {"_cogctl_retrain": None}


@pytest.mark.parametrize(
    ("marker", "retrain", "pending", "has_changes"),
    [
        (None, (), (), False),
        ({"value": {"jobId": None}, "scope": "global"}, ("bot_sup",),
         (plans.PendingRetrain("bot_sup", REASON),), True),
        ({"value": {"jobId": "job_7"}, "scope": "global"}, ("bot_sup",),
         (plans.PendingRetrain("bot_sup", REASON + " (job job_7 was still running)", "job_7"),),
         True),
    ],
)
def test_a_live_marker_is_a_pending_retraining(
    marker: Any, retrain: tuple[str, ...], pending: tuple[plans.PendingRetrain, ...],
    has_changes: bool,
) -> None:
    desired = _desired()
    tenant = _converged(desired)
    if marker is not None:
        _mark(tenant, "bot_sup", marker)
    plan = _plan(desired, tenant.snapshot())
    assert plan.pending() == ()  # the marker itself is never a change
    assert not any(c.drift for c in plan.changes)
    assert plan.retrain == retrain
    assert plan.pending_retrain == pending
    assert plan.summary().has_changes is has_changes
    assert plan.summary().retrain_pending == len(pending)
    extraction = sorted(c.address for c in plan.verify if c.check == "extraction")
    suites = [c.address for c in plan.verify if c.check == "simulation"]
    if marker is None:
        assert (extraction, suites, plan.context_versions) == ([], [], {})
    else:  # every slot of the bot is verified after the retraining, and its suites run
        assert extraction == ["Slot/support/order_item", "Slot/support/order_number"]
        assert suites == ["SimulationSuite/support/smoke"]
        assert plan.context_versions == {
            "bot_sup": tenant.context("bot_sup")["contextVersion"]
        }


def test_the_marker_is_not_observed_so_setting_it_never_makes_a_plan_stale() -> None:
    desired = _desired()
    tenant = _converged(desired)
    before = _plan(desired, tenant.snapshot())
    _mark(tenant, "bot_sal", {"value": {"jobId": None}, "scope": "global"})
    after = _plan(desired, tenant.snapshot())
    # bot_sal has no ContextDefaults manifest: its context is not an observed object
    assert after.fingerprint == before.fingerprint
    assert planning.stale_addresses(before, tenant.snapshot(), BOTS) == []
    assert after.retrain == ("bot_sal",)


def test_the_marker_is_never_pruned_nor_compared() -> None:
    desired = _desired()
    tenant = _converged(desired)
    _mark(tenant, "bot_sup", {"value": {"jobId": None}, "scope": "global"})
    rest = [m for m in desired if m.kind != "ContextDefaults"]
    pruned = _plan(rest, tenant.snapshot(), prune=True)
    (delete,) = pruned.pending()
    assert "_cogctl_retrain" not in b.written_context(delete)
    changed = [*desired[:2], b.context({"lang": {"value": "de"}}), *desired[3:]]
    (update,) = _plan(changed, tenant.snapshot()).pending()
    assert [d.path for d in update.diff] == ["variables.lang.value"]
    assert "_cogctl_retrain" not in b.written_context(update)


def test_slot_changes_and_a_marker_of_the_same_bot_retrain_it_once() -> None:
    desired = _desired()
    tenant = _converged(desired)
    _mark(tenant, "bot_sup", {"value": {"jobId": None}, "scope": "global"})
    changed = [b.slot("order_number", patterns=(r"\d{6}",)), *desired[1:]]
    plan = _plan(changed, tenant.snapshot())
    assert plan.retrain == ("bot_sup",)
    assert [c.address for c in plan.pending()] == ["Slot/support/order_number"]
    assert plan.summary().update == 1
    assert plan.summary().retrain_pending == 1


def test_renderers_show_the_reason_and_saved_plans_round_trip() -> None:
    desired = _desired()
    tenant = _converged(desired)
    _mark(tenant, "bot_sup", {"value": {"jobId": None}, "scope": "global"})
    plan = _plan(desired, tenant.snapshot())
    shown = text.render_plan(plan, color=False)
    assert f"Retraining after apply: support (bot_sup)\n  # {REASON}\n" in shown
    assert "Plan: 0 to add, 0 to change, 0 to destroy. 1 retraining(s) pending." in shown
    assert "No changes" not in shown
    doc = jsonout.plan_document(plan)
    assert "retrainPending" not in doc
    assert doc["retrain"] == ["bot_sup"]
    comment = markdown.render_plan(plan, environment="prod")
    assert f"> {REASON}" in comment
    assert "No changes" not in comment
    saved = json.loads(json.dumps(plan.to_json()))
    assert plans.Plan.from_json(saved) == plan


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_a_saved_plan_from_before_1_2_is_refused_it_cannot_be_verified(version: str) -> None:
    plan = _plan(_desired(), Tenant.of(*BOTS.values()).snapshot())
    old = plan.to_json()
    old["format_version"] = version
    with pytest.raises(errors.ConfigError, match="nothing apply can verify it by"):
        plans.Plan.from_json(old)
