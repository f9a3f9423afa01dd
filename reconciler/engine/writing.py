"""Carry out one change of a plan against a ``Backend``: the write, and what to do on 409.

Policy (``shared/lessons.md``, "Apply"):
- What is sent is the plan's own write body (``writetypes``), the delete of context defaults
  included: nothing is recomputed from a fresh read. Only the secret is added, resolved at
  apply time.
- Every update and delete sends ``If-Match`` with the version the plan saw.
- Slots are written with ``triggerRetrain: false``; ``applying`` retrains once per bot.
- Whether live already holds what a change wants is decided by ``comparing.holds``, the
  rule by which the planner finds nothing to do, so that "already as planned" here and "no
  change" in the next plan always agree.
- Integrations are created with the plan's ``Idempotency-Key``; a ``409 name_conflict`` adopts
  the existing object when it already holds what the plan wants (an earlier run that was cut
  off after the write), and is a conflict otherwise.
- On ``409 version_conflict`` the object is read again: if it already holds what the plan
  wants, the earlier attempt went through (``applied``); otherwise it was changed outside
  since the plan and is left alone (``conflict``), unless ``force`` writes the plan's body
  over it with the version just read.
- Context defaults are a merge of the reconciler's keys: a version that moved on through
  other keys only is no conflict, and the same merge goes out again at the new version. One
  whose keys no longer hold what the plan saw (their values; for a delete, also the keys the
  applied entry manages) is a conflict like any other.
Errors that concern one object become an outcome; only errors that doom every later request
(401, 403) propagate, so that ``applying`` can stop instead of failing a thousand times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from reconciler import errors
from reconciler.backend import base
from reconciler.core import comparing, normalizing, plans, writebodies
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.engine import applyresults

FATAL: tuple[type[errors.BackendError], ...] = (errors.UnauthorizedError, errors.ForbiddenError)

Rewrite = Callable[[str], Awaitable[str]]  # write again over a version; the new version


async def execute(
    backend: base.Backend, change: plans.Change, *, secret: str | None, force: bool
) -> applyresults.ChangeOutcome:
    """Write one change; returns its outcome. Raises only ``FATAL`` backend errors."""
    try:
        return await _dispatch(backend, change, secret=secret, force=force)
    except FATAL:
        raise
    except errors.BackendError as exc:
        return _outcome(change, applyresults.Outcome.FAILED, str(exc))


async def _dispatch(
    backend: base.Backend, change: plans.Change, *, secret: str | None, force: bool
) -> applyresults.ChangeOutcome:
    body = change.write
    if isinstance(body, wt.IntegrationBody):
        return await _integration(backend, change, body, secret=secret, force=force)
    if isinstance(body, wt.SlotBody):
        return await _slot(backend, change, body, force=force)
    if body is not None:
        return await _context(backend, change, body, force=force)
    if change.action is plans.Action.DELETE and change.kind == "Integration":
        live_id = change.live_id or ""
        return await _delete(
            change,
            lambda v: backend.delete_integration(live_id, if_match=v),
            lambda: _version(backend.get_integration(live_id)),
            force=force,
        )
    if change.action is plans.Action.DELETE and change.kind == "Slot":
        slot_id = slot_id_of(change)
        return await _delete(
            change,
            lambda v: backend.delete_slot(slot_id, if_match=v),
            lambda: _version(backend.get_slot(slot_id)),
            force=force,
        )
    return _outcome(change, applyresults.Outcome.FAILED, f"cannot apply kind {change.kind}")


def _outcome(
    change: plans.Change,
    outcome: applyresults.Outcome,
    message: str = "",
    version: str | None = None,
) -> applyresults.ChangeOutcome:
    return applyresults.ChangeOutcome(
        change.address, change.action.value, outcome, message, version
    )


# --- integrations -------------------------------------------------------------------------


async def _integration(
    backend: base.Backend,
    change: plans.Change,
    body: wt.IntegrationBody,
    *,
    secret: str | None,
    force: bool,
) -> applyresults.ChangeOutcome:
    sent = body.wire(secret)

    async def put(integration_id: str, version: str | None) -> str:
        return (await backend.put_integration(integration_id, sent, if_match=version))["version"]

    if change.action is plans.Action.CREATE:
        try:
            created = await backend.create_integration(
                sent, idempotency_key=change.idempotency_key
            )
        except errors.NameConflictError as exc:
            existing = await _find_integration(backend, sent, exc.existing_id)
            return await _reconcile(
                change,
                version=existing["version"],
                held=integration_holds(change, existing, secret),
                rewrite=lambda v: put(existing["id"], v),
                force=force,
                what=f"an integration of that name exists (id {existing['id']})",
            )
        return _outcome(change, applyresults.Outcome.APPLIED, "created", created["version"])
    live_id = change.live_id or ""
    try:
        version = await put(live_id, change.live_version)
    except errors.VersionConflictError:
        current = await backend.get_integration(live_id)
        return await _reconcile(
            change,
            version=current["version"],
            held=integration_holds(change, current, secret),
            rewrite=lambda v: put(live_id, v),
            force=force,
        )
    return _outcome(change, applyresults.Outcome.APPLIED, "updated", version)


async def _find_integration(
    backend: base.Backend, body: lt.IntegrationWrite, existing_id: str | None
) -> lt.LiveIntegration:
    if existing_id:
        return await backend.get_integration(existing_id)
    for live in await backend.list_integrations(body["bot_id"]):
        if live["name"] == body["name"]:
            return live
    raise errors.ConflictError(f"integration {body['name']!r} conflicts but cannot be found")


def integration_holds(
    change: plans.Change, live: lt.LiveIntegration, secret: str | None
) -> bool:
    """``live`` already holds what ``change`` wants (the secret compared by fingerprint)."""
    return change.after is not None and comparing.holds(
        normalizing.integration_from_live(live),
        change.after,
        secret_differs=comparing.secret_differs(live, secret),
    )


# --- slots ----------------------------------------------------------------------------------


def slot_id_of(change: plans.Change) -> str:
    """The plan names every slot's id; a hand-made one may leave a new slot's to the rule."""
    return change.live_id or writebodies.slot_id_for(change.bot_id, change.name)


def slot_holds(live: lt.LiveSlot, body: wt.SlotBody) -> bool:
    """``live`` already holds what ``body`` writes (dependencies compared as ids)."""
    return comparing.holds(
        normalizing.slot_from_live(live, {}), normalizing.slot_from_write(body.body),
        textual=True,
    )


async def _slot(
    backend: base.Backend, change: plans.Change, body: wt.SlotBody, *, force: bool
) -> applyresults.ChangeOutcome:
    slot_id = slot_id_of(change)
    sent = body.wire()
    creating = change.action is plans.Action.CREATE

    async def put(version: str | None) -> str:
        stored, _job = await backend.put_slot(
            slot_id, sent, if_match=version, create_only=creating and version is None
        )
        return stored["version"]

    try:
        version = await put(None if creating else change.live_version)
    except errors.ConflictError:
        current = await backend.get_slot(slot_id)
        return await _reconcile(
            change,
            version=current["version"],
            held=slot_holds(current, body),
            rewrite=put,
            force=force,
        )
    return _outcome(
        change, applyresults.Outcome.APPLIED, "created" if creating else "updated", version
    )


# --- context defaults -------------------------------------------------------------------------


def context_holds(change: plans.Change, live: lt.LiveContext, body: wt.ContextBody) -> bool:
    """``live`` already holds what ``change`` wants: its variables, or for a delete, none of
    them and no applied entry (one left behind is context defaults the next plan deletes)."""
    now = normalizing.context_from_live(live, body.variables())
    if isinstance(body, wt.ContextRemoval):
        gone = normalizing.context_applied_of(live) is None
        return gone and comparing.holds(now, {"variables": {}})
    return change.after is not None and comparing.holds(now, change.after)


def untouched_since_plan(
    change: plans.Change, live: lt.LiveContext, body: wt.ContextBody
) -> bool:
    """Every variable ``body`` writes still holds what the plan saw, and for a delete the
    applied entry still manages the keys it removes.

    Reserved keys (``_cogctl_*``: the applied entry, the retraining marker) are the
    reconciler's own bookkeeping and take no part; the applied entry is rewritten by the PATCH
    itself.
    """
    keys = body.variables()
    if isinstance(body, wt.ContextRemoval):
        record = normalizing.context_applied_of(live)
        if record is None or set(record.keys) != keys:
            return False
    seen = (change.before or {}).get("variables") or {}
    if not isinstance(seen, dict):
        return False
    then: plans.JsonObject = {"variables": {k: v for k, v in seen.items() if k in keys}}
    return comparing.holds(normalizing.context_from_live(live, keys), then)


async def _context(
    backend: base.Backend, change: plans.Change, body: wt.ContextBody, *, force: bool
) -> applyresults.ChangeOutcome:
    bot_id = change.bot_id
    sent = body.wire()

    async def patch(version: str) -> str:
        stored = await backend.patch_context(bot_id, sent, if_match=version)
        return stored["contextVersion"]

    version = change.live_version
    if version is None:
        version = (await backend.get_context(bot_id))["contextVersion"]
    try:
        return _outcome(change, applyresults.Outcome.APPLIED, "patched", await patch(version))
    except errors.VersionConflictError:
        current = await backend.get_context(bot_id)
    if untouched_since_plan(change, current, body):
        # The PATCH is a merge of our keys only: a version that moved on through other
        # keys (another team's variable, our own retraining marker whose answer was
        # lost) is no conflict, so the same merge goes out again at the new version.
        return _outcome(
            change,
            applyresults.Outcome.APPLIED,
            "patched (the context changed meanwhile, but not in the keys this change writes)",
            await patch(current["contextVersion"]),
        )
    return await _reconcile(
        change,
        version=current["contextVersion"],
        held=context_holds(change, current, body),
        rewrite=patch,
        force=force,
    )


# --- shared ----------------------------------------------------------------------------------


async def _version(read: Awaitable[lt.LiveIntegration | lt.LiveSlot]) -> str:
    return (await read)["version"]


async def _reconcile(
    change: plans.Change,
    *,
    version: str,
    held: bool,
    rewrite: Rewrite,
    force: bool,
    what: str = "",
) -> applyresults.ChangeOutcome:
    """After a 409: done already, a conflict to report, or (``force``) a write over it."""
    if held:
        return _outcome(
            change,
            applyresults.Outcome.APPLIED,
            "already as planned (an earlier write went through)",
            version,
        )
    why = what or (
        f"changed outside cogctl since the plan (now version {version}, "
        f"plan saw {change.live_version})"
    )
    if not force:
        return _outcome(
            change, applyresults.Outcome.CONFLICT, f"{why}; left as is: run plan again, or --force"
        )
    return _outcome(
        change, applyresults.Outcome.APPLIED, f"overwritten (--force): {why}",
        await rewrite(version),
    )


async def _delete(
    change: plans.Change,
    delete: Callable[[str | None], Awaitable[None]],
    reread: Callable[[], Awaitable[str]],
    *,
    force: bool,
) -> applyresults.ChangeOutcome:
    try:
        await delete(change.live_version)
    except errors.NotFoundError:
        return _outcome(change, applyresults.Outcome.SKIPPED, "already gone")
    except errors.VersionConflictError:
        version = await reread()
        if not force:
            return _outcome(
                change,
                applyresults.Outcome.CONFLICT,
                f"changed outside cogctl since the plan (now version {version}); "
                "left as is: run plan again, or --force",
            )
        await delete(version)
        return _outcome(
            change, applyresults.Outcome.APPLIED, "deleted (--force over a newer version)"
        )
    return _outcome(change, applyresults.Outcome.APPLIED, "deleted")
