"""The rollback plan (pure): which slots are restored or removed, in which order."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import livetypes as lt
from reconciler import outcomes, plans, reverting, states


def _live_slot(name: str, patterns: list[str]) -> lt.LiveSlot:
    return {
        "slotId": f"id_{name}", "botId": "bot_a", "name": name, "type": "regex",
        "patterns": patterns, "fillStrategy": "bestMatch", "dependencies": [],
        "labels": {"managed-by": "cogctl"}, "version": "7", "updatedAt": "t",
    }


def _change(name: str, action: plans.Action, kind: str = "Slot") -> plans.Change:
    body: Any = {"name": name}
    return plans.Change(
        address=f"{kind}/a/{name}", kind=kind, bot="a", bot_id="bot_a", name=name,
        action=action, reason="r", drift=False,
        before=None if action is plans.Action.CREATE else {"spec": {}},
        after={"spec": {}},
        live_id=None if action is plans.Action.CREATE else f"id_{name}",
        live_version=None if action is plans.Action.CREATE else "7",
        write=body,
    )


def _done(address: str, outcome: outcomes.Outcome, version: str = "8") -> outcomes.ChangeOutcome:
    return outcomes.ChangeOutcome(address, "x", outcome, version=version)


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
    live = states.LiveState({"bot_a": states.BotState(
        "bot_a", slots=(_live_slot("old1", ["A"]), _live_slot("old2", ["B"]),
                        _live_slot("old3", ["C"])),
    )})
    result = outcomes.ApplyResult(changes=(
        _done("Integration/a/hook", outcomes.Outcome.APPLIED),
        _done("Slot/a/old1", outcomes.Outcome.APPLIED, "11"),
        _done("Slot/a/new1", outcomes.Outcome.APPLIED, "12"),
        _done("Slot/a/new2", outcomes.Outcome.APPLIED, "13"),
        _done("Slot/a/old2", outcomes.Outcome.APPLIED, "14"),
        _done("Slot/a/old3", outcomes.Outcome.CONFLICT),
    ))
    undo = reverting.rollback_plan(plan, live, result)
    assert [(c.address, c.action.value, c.live_version) for c in undo.changes] == [
        ("Slot/a/old1", "update", "11"),
        ("Slot/a/old2", "update", "14"),
        ("Slot/a/new2", "delete", "13"),
        ("Slot/a/new1", "delete", "12"),
    ]
    restore = undo.changes[0]
    assert restore.write is not None
    assert restore.write["patterns"] == ["A"]
    assert restore.write["triggerRetrain"] is False
    assert restore.live_id == "id_old1"
    assert undo.retrain == ("bot_a",)


def test_nothing_written_means_nothing_to_undo() -> None:
    plan = plans.Plan(target="t", fingerprint="f", changes=(_change("s", plans.Action.UPDATE),))
    result = outcomes.ApplyResult(changes=(_done("Slot/a/s", outcomes.Outcome.FAILED),))
    undo = reverting.rollback_plan(plan, states.LiveState(), result)
    assert undo.changes == ()
    assert undo.retrain == ()


_A = outcomes.Outcome.APPLIED
_F = outcomes.Outcome.FAILED


@pytest.mark.parametrize(
    ("changes", "applied", "undone", "expected"),
    [
        # apply deleted a slot only: nothing to roll back, and the deletion is named
        ([("gone", plans.Action.DELETE, "Slot")], {"Slot/a/gone": _A}, {},
         reverting.Coverage(deleted=("Slot/a/gone",))),
        # an update restored, a create removed, a delete and an integration kept
        ([("old", plans.Action.UPDATE, "Slot"), ("new", plans.Action.CREATE, "Slot"),
          ("gone", plans.Action.DELETE, "Slot"), ("hook", plans.Action.UPDATE, "Integration")],
         {"Slot/a/old": _A, "Slot/a/new": _A, "Slot/a/gone": _A, "Integration/a/hook": _A},
         {"Slot/a/old": _A, "Slot/a/new": _A},
         reverting.Coverage(restored=("Slot/a/old",), removed=("Slot/a/new",),
                            deleted=("Slot/a/gone",), kept=("Integration/a/hook",))),
        # the rollback's write failed: not claimed as rolled back
        ([("old", plans.Action.UPDATE, "Slot")], {"Slot/a/old": _A}, {"Slot/a/old": _F},
         reverting.Coverage(failed=("Slot/a/old",))),
        # what apply did not write is not the rollback's business
        ([("old", plans.Action.UPDATE, "Slot"), ("gone", plans.Action.DELETE, "Slot")],
         {"Slot/a/old": outcomes.Outcome.CONFLICT, "Slot/a/gone": _F}, {},
         reverting.Coverage()),
    ],
)
def test_coverage_accounts_for_every_write(
    changes: list[tuple[str, plans.Action, str]],
    applied: dict[str, outcomes.Outcome],
    undone: dict[str, outcomes.Outcome],
    expected: reverting.Coverage,
) -> None:
    plan = plans.Plan(target="t", fingerprint="f",
                      changes=tuple(_deleting(n, a, k) for n, a, k in changes))
    live = states.LiveState({"bot_a": states.BotState(
        "bot_a", slots=(_live_slot("old", ["A"]), _live_slot("gone", ["G"])),
    )})
    result = outcomes.ApplyResult(changes=tuple(_done(a, o) for a, o in applied.items()))
    undo = reverting.rollback_plan(plan, live, result)
    ran = outcomes.ApplyResult(changes=tuple(_done(a, o) for a, o in undone.items()))
    assert reverting.coverage(plan, result, undo, ran if undone else None) == expected
    assert reverting.coverage(plan, result, undo, ran if undone else None).undone is bool(
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
