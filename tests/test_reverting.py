"""The rollback plan (pure): which slots are restored or removed, in which order."""

from __future__ import annotations

import pytest

from reconciler.core import livestate, plans, writebodies
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.engine import applyresults, rollbackplans


def _live_slot(name: str, patterns: list[str]) -> lt.LiveSlot:
    return {
        "slotId": f"id_{name}", "botId": "bot_a", "name": name, "type": "regex",
        "patterns": patterns, "fillStrategy": "bestMatch", "dependencies": [],
        "labels": {"managed-by": "cogctl"}, "version": "7", "updatedAt": "t",
    }


def _body(name: str, kind: str) -> wt.WriteBody:
    if kind == "Integration":
        return wt.IntegrationBody({"bot_id": "bot_a", "name": name, "description": "",
                                   "status": "ACTIVE", "labels": {}, "config": {}})
    return writebodies.slot_body(bot_id="bot_a", name=name, slot_type="regex", patterns=["x"],
                                 fill_strategy="bestMatch", dependency_ids=(), labels={})


def _change(name: str, action: plans.Action, kind: str = "Slot") -> plans.Change:
    body = _body(name, kind)
    return plans.Change(
        address=f"{kind}/a/{name}", kind=kind, bot="a", bot_id="bot_a", name=name,
        action=action, reason="r", drift=False,
        before=None if action is plans.Action.CREATE else {"spec": {}},
        after={"spec": {}},
        live_id=None if action is plans.Action.CREATE else f"id_{name}",
        live_version=None if action is plans.Action.CREATE else "7",
        write=body,
    )


def _done(address: str, outcome: applyresults.Outcome, version: str = "8") -> applyresults.ChangeOutcome:
    return applyresults.ChangeOutcome(address, "x", outcome, version=version)


def test_restores_updated_slots_then_removes_created_ones_in_reverse() -> None:
    changes = (
        _change("hook", plans.Action.UPDATE, kind="Integration"),
        _change("old1", plans.Action.UPDATE),
        _change("new1", plans.Action.CREATE),
        _change("new2", plans.Action.CREATE),
        _change("old2", plans.Action.UPDATE),
        _change("old3", plans.Action.UPDATE),
    )
    plan = plans.Plan(target="t", fingerprint="f", changes=changes, retrain=("bot_a",))
    live = livestate.LiveState({"bot_a": livestate.BotState(
        "bot_a", slots=(_live_slot("old1", ["A"]), _live_slot("old2", ["B"]),
                        _live_slot("old3", ["C"])),
    )})
    result = applyresults.ApplyResult(changes=(
        _done("Integration/a/hook", applyresults.Outcome.APPLIED),
        _done("Slot/a/old1", applyresults.Outcome.APPLIED, "11"),
        _done("Slot/a/new1", applyresults.Outcome.APPLIED, "12"),
        _done("Slot/a/new2", applyresults.Outcome.APPLIED, "13"),
        _done("Slot/a/old2", applyresults.Outcome.APPLIED, "14"),
        _done("Slot/a/old3", applyresults.Outcome.CONFLICT),
    ))
    undo = rollbackplans.rollback_plan(plan, live, result)
    assert [(c.address, c.action.value, c.live_version) for c in undo.changes] == [
        ("Slot/a/old1", "update", "11"),
        ("Slot/a/old2", "update", "14"),
        ("Slot/a/new2", "delete", "13"),
        ("Slot/a/new1", "delete", "12"),
    ]
    restore = undo.changes[0]
    # the constructor the planner uses, fed the slot as it was (its applied hash included)
    assert restore.write == writebodies.slot_restore(_live_slot("old1", ["A"]))
    assert isinstance(restore.write, wt.SlotBody)
    assert restore.write.body["patterns"] == ["A"]
    assert restore.write.body["labels"] == {"managed-by": "cogctl"}
    assert restore.write.wire()["triggerRetrain"] is False
    assert restore.live_id == "id_old1"
    assert undo.retrain == ("bot_a",)


def test_nothing_written_means_nothing_to_undo() -> None:
    plan = plans.Plan(target="t", fingerprint="f", changes=(_change("s", plans.Action.UPDATE),))
    result = applyresults.ApplyResult(changes=(_done("Slot/a/s", applyresults.Outcome.FAILED),))
    undo = rollbackplans.rollback_plan(plan, livestate.LiveState(), result)
    assert undo.changes == ()
    assert undo.retrain == ()


_A = applyresults.Outcome.APPLIED
_F = applyresults.Outcome.FAILED


@pytest.mark.parametrize(
    ("changes", "applied", "undone", "expected"),
    [
        # apply deleted a slot only: nothing to roll back, and the deletion is named
        ([("gone", plans.Action.DELETE, "Slot")], {"Slot/a/gone": _A}, {},
         rollbackplans.Coverage(deleted=("Slot/a/gone",))),
        # an update restored, a create removed, a delete and an integration kept
        ([("old", plans.Action.UPDATE, "Slot"), ("new", plans.Action.CREATE, "Slot"),
          ("gone", plans.Action.DELETE, "Slot"), ("hook", plans.Action.UPDATE, "Integration")],
         {"Slot/a/old": _A, "Slot/a/new": _A, "Slot/a/gone": _A, "Integration/a/hook": _A},
         {"Slot/a/old": _A, "Slot/a/new": _A},
         rollbackplans.Coverage(restored=("Slot/a/old",), removed=("Slot/a/new",),
                            deleted=("Slot/a/gone",), kept=("Integration/a/hook",))),
        # the rollback's write failed: not claimed as rolled back
        ([("old", plans.Action.UPDATE, "Slot")], {"Slot/a/old": _A}, {"Slot/a/old": _F},
         rollbackplans.Coverage(failed=("Slot/a/old",))),
        # what apply did not write is not the rollback's business
        ([("old", plans.Action.UPDATE, "Slot"), ("gone", plans.Action.DELETE, "Slot")],
         {"Slot/a/old": applyresults.Outcome.CONFLICT, "Slot/a/gone": _F}, {},
         rollbackplans.Coverage()),
    ],
)
def test_coverage_accounts_for_every_write(
    changes: list[tuple[str, plans.Action, str]],
    applied: dict[str, applyresults.Outcome],
    undone: dict[str, applyresults.Outcome],
    expected: rollbackplans.Coverage,
) -> None:
    plan = plans.Plan(target="t", fingerprint="f",
                      changes=tuple(_deleting(n, a, k) for n, a, k in changes))
    live = livestate.LiveState({"bot_a": livestate.BotState(
        "bot_a", slots=(_live_slot("old", ["A"]), _live_slot("gone", ["G"])),
    )})
    result = applyresults.ApplyResult(changes=tuple(_done(a, o) for a, o in applied.items()))
    undo = rollbackplans.rollback_plan(plan, live, result)
    ran = applyresults.ApplyResult(changes=tuple(_done(a, o) for a, o in undone.items()))
    assert rollbackplans.coverage(plan, result, undo, ran if undone else None) == expected
    assert rollbackplans.coverage(plan, result, undo, ran if undone else None).undone is bool(
        expected.restored or expected.removed
    )


def _deleting(name: str, action: plans.Action, kind: str) -> plans.Change:
    if action is not plans.Action.DELETE:
        return _change(name, action, kind)
    return plans.Change(
        address=f"{kind}/a/{name}", kind=kind, bot="a", bot_id="bot_a", name=name,
        action=action, reason="r", drift=False, before={"spec": {}}, after=None,
        live_id=f"id_{name}", live_version="7",
    )
