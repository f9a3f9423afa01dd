"""The plan that puts changed slots back as they were before an apply (``--rollback-on-failure``).

Pure: built from the applied plan, the live state the plan was made from, and what apply
did. Only slots are restored (they are what extraction metrics judge); integrations and
context defaults stay as applied. Invariants of the result:
- a slot apply updated is written back from its live snapshot (the body built by the
  constructor the planner uses, ``writebodies.slot_body``), with ``If-Match`` of the
  version apply's own write produced (so a change made outside meanwhile is a conflict, not
  silently lost);
- a slot apply created is deleted again; deletes come after the restores and in reverse
  plan order, so no slot is deleted while another still depends on it;
- slots apply did not write are left alone.

``coverage`` says afterwards, address by address, what the rollback undid and what it did
not (slots apply deleted are not restored: their live ids and training data are gone; and
integrations and context defaults stay as applied), so no message claims more than was done.
"""

from __future__ import annotations

import dataclasses

from reconciler.core import livestate, plans, writebodies
from reconciler.core import livetypes as lt
from reconciler.engine import applyresults


@dataclasses.dataclass(frozen=True)
class Coverage:
    """What a rollback undid of what apply wrote, by address, in plan order.

    ``restored``: updated slots written back; ``removed``: created slots deleted again;
    ``failed``: slots the rollback should have undone but whose write did not go through (or
    that had no snapshot to restore); ``deleted``: slots apply deleted, never restored;
    ``kept``: other kinds apply wrote, which stay as applied.
    """

    restored: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()

    @property
    def undone(self) -> bool:
        """Something was rolled back."""
        return bool(self.restored or self.removed)


def coverage(
    plan: plans.Plan,
    result: applyresults.ApplyResult,
    undo: plans.Plan,
    undone: applyresults.ApplyResult | None,
) -> Coverage:
    """Sort every change apply wrote by what the rollback (``undo``, run as ``undone``) did."""
    written = {r.address for r in result.changes if r.outcome is applyresults.Outcome.APPLIED}
    done = {r.address for r in (undone.changes if undone else ()) if r.outcome in applyresults.DONE}
    planned = {c.address: c.action for c in undo.changes}
    found: dict[str, list[str]] = {name: [] for name in ("restored", "removed", "failed",
                                                        "deleted", "kept")}
    for change in plan.changes:
        if change.address not in written:
            continue
        if change.kind != "Slot":
            bucket = "kept"
        elif change.action is plans.Action.DELETE:
            bucket = "deleted"
        elif change.address not in done:
            bucket = "failed"
        else:
            bucket = "removed" if planned[change.address] is plans.Action.DELETE else "restored"
        found[bucket].append(change.address)
    return Coverage(**{name: tuple(addresses) for name, addresses in found.items()})


def rollback_plan(
    plan: plans.Plan, live: livestate.LiveState, result: applyresults.ApplyResult
) -> plans.Plan:
    """Changes that restore every slot ``result`` wrote; retrains and re-verifies them."""
    written = {
        r.address: r for r in result.changes if r.outcome is applyresults.Outcome.APPLIED
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


def _snapshot(live: livestate.LiveState, change: plans.Change) -> lt.LiveSlot | None:
    bot = live.bot(change.bot_id)
    if change.live_id:
        found = next((s for s in bot.slots if s["slotId"] == change.live_id), None)
        if found is not None:
            return found
    return bot.slot_named(change.name)


def _restore(change: plans.Change, slot: lt.LiveSlot, version: str | None) -> plans.Change:
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
        write=writebodies.slot_restore(slot),
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
        live_id=change.live_id or writebodies.slot_id_for(change.bot_id, change.name),
        live_version=version,
    )
