"""The plan that puts changed slots back as they were before an apply (``--rollback-on-failure``).

Pure: built from the applied plan, the live state the plan was made from, and what apply
did. Only slots are restored (they are what extraction metrics judge); integrations and
context defaults stay as applied. Invariants of the result:
- a slot apply updated is written back from its live snapshot, with ``If-Match`` of the
  version apply's own write produced (so a change made outside meanwhile is a conflict, not
  silently lost);
- a slot apply created is deleted again; deletes come after the restores and in reverse
  plan order, so no slot is deleted while another still depends on it;
- slots apply did not write are left alone.
"""

from __future__ import annotations

from reconciler import bodies, outcomes, plans, states
from reconciler import livetypes as lt


def rollback_plan(
    plan: plans.Plan, live: states.LiveState, result: outcomes.ApplyResult
) -> plans.Plan:
    """Changes that restore every slot ``result`` wrote; retrains and re-verifies them."""
    written = {
        r.address: r for r in result.changes if r.outcome is outcomes.Outcome.APPLIED
    }
    restores: list[plans.Change] = []
    removals: list[plans.Change] = []
    for change in plan.changes:
        done = written.get(change.address)
        if change.kind != "Slot" or done is None:
            continue
        snapshot = _snapshot(live, change)
        if change.action is plans.Action.UPDATE and snapshot is not None:
            restores.append(_restore(change, snapshot, done.version))
        elif change.action is plans.Action.CREATE:
            removals.append(_remove(change, done.version))
    changes = tuple(restores) + tuple(reversed(removals))
    bots = {c.bot_id for c in changes}
    restored = {c.address for c in restores}
    return plans.Plan(
        target=plan.target,
        fingerprint=plan.fingerprint,
        changes=changes,
        retrain=tuple(b for b in plan.retrain if b in bots),
        verify=tuple(
            v for v in plan.verify if v.check == "extraction" and v.address in restored
        ),
    )


def _snapshot(live: states.LiveState, change: plans.Change) -> lt.LiveSlot | None:
    bot = live.bot(change.bot_id)
    if change.live_id:
        found = next((s for s in bot.slots if s["slotId"] == change.live_id), None)
        if found is not None:
            return found
    return bot.slot_named(change.name)


def _restore(change: plans.Change, slot: lt.LiveSlot, version: str | None) -> plans.Change:
    body: plans.JsonObject = {
        "botId": slot["botId"],
        "name": slot["name"],
        "type": slot["type"],
        "patterns": [*slot["patterns"]],
        "fillStrategy": slot["fillStrategy"],
        "dependencies": [*(slot.get("dependencies") or [])],
        "triggerRetrain": False,
        "labels": {**(slot.get("labels") or {})},
    }
    return plans.Change(
        address=change.address,
        kind=change.kind,
        bot=change.bot,
        bot_id=change.bot_id,
        name=change.name,
        action=plans.Action.UPDATE,
        reason="rollback: restore the slot as it was before apply",
        drift=False,
        before=change.after,
        after=change.before,
        live_id=slot["slotId"],
        live_version=version,
        write=body,
    )


def _remove(change: plans.Change, version: str | None) -> plans.Change:
    return plans.Change(
        address=change.address,
        kind=change.kind,
        bot=change.bot,
        bot_id=change.bot_id,
        name=change.name,
        action=plans.Action.DELETE,
        reason="rollback: remove the slot apply created",
        drift=False,
        before=change.after,
        after=None,
        live_id=change.live_id or bodies.slot_id_for(change.bot_id, change.name),
        live_version=version,
    )
