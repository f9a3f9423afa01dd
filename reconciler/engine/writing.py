"""Carry out one change of a plan against a ``Backend``: the write, and what to do on 409.

Policy (``shared/lessons.md``, "Apply"):
- Every update and delete sends ``If-Match`` with the version the plan saw.
- Slots are written with ``triggerRetrain: false``; ``applying`` retrains once per bot.
- Integrations are created with the plan's ``Idempotency-Key``; a ``409 name_conflict`` adopts
  the existing object when it already holds exactly what the plan writes (an earlier run that
  was cut off after the write), and is a conflict otherwise.
- On ``409 version_conflict`` the object is read again: if it already holds what the plan
  writes, the earlier attempt went through (``applied``); otherwise it was changed outside
  since the plan and is left alone (``conflict``), unless ``force`` writes over it with the
  version just read.
Errors that concern one object become an outcome; only errors that doom every later request
(401, 403) propagate, so that ``applying`` can stop instead of failing a thousand times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt
from reconciler.core import normalizing, plans, writebodies
from reconciler.engine import applyresults

FATAL: tuple[type[errors.BackendError], ...] = (errors.UnauthorizedError, errors.ForbiddenError)

T = TypeVar("T")


async def execute(
    backend: base.Backend, change: plans.Change, *, secret: str | None, force: bool
) -> applyresults.ChangeOutcome:
    """Write one change; returns its outcome. Raises only ``FATAL`` backend errors."""
    try:
        if change.kind == "Integration":
            return await _integration(backend, change, secret=secret, force=force)
        if change.kind == "Slot":
            return await _slot(backend, change, force=force)
        if change.kind == "ContextDefaults":
            return await _context(backend, change, force=force)
        return _outcome(change, applyresults.Outcome.FAILED, f"cannot apply kind {change.kind}")
    except FATAL:
        raise
    except errors.BackendError as exc:
        return _outcome(change, applyresults.Outcome.FAILED, str(exc))


def _outcome(
    change: plans.Change,
    outcome: applyresults.Outcome,
    message: str = "",
    version: str | None = None,
) -> applyresults.ChangeOutcome:
    return applyresults.ChangeOutcome(
        change.address, change.action.value, outcome, message, version
    )


def _write_of(change: plans.Change) -> dict[str, Any]:
    if change.write is None:
        raise errors.ApplyError(f"{change.address}: the plan carries no write body")
    return dict(change.write)


# --- integrations -------------------------------------------------------------------------


def integration_body(change: plans.Change, secret: str | None) -> lt.IntegrationWrite:
    """The plan's write body with the secret, resolved at apply time, put in its place."""
    body = _write_of(change)
    config = dict(body.get("config") or {})
    if secret is not None:
        config["auth_secret"] = secret
    body["config"] = config
    return cast(lt.IntegrationWrite, body)


async def _integration(
    backend: base.Backend, change: plans.Change, *, secret: str | None, force: bool
) -> applyresults.ChangeOutcome:
    live_id = change.live_id or ""
    if change.action is plans.Action.DELETE:
        return await _delete(
            change,
            lambda v: backend.delete_integration(live_id, if_match=v),
            lambda: backend.get_integration(live_id),
            force=force,
        )
    body = integration_body(change, secret)
    if change.action is plans.Action.CREATE:
        return await _create_integration(backend, change, body, secret=secret, force=force)
    try:
        updated = await backend.put_integration(live_id, body, if_match=change.live_version)
    except errors.VersionConflictError:
        return await _reconcile(
            change,
            await backend.get_integration(live_id),
            matches=lambda live: integration_matches(live, body, secret),
            rewrite=lambda v: backend.put_integration(live_id, body, if_match=v),
            force=force,
        )
    return _outcome(change, applyresults.Outcome.APPLIED, "updated", updated["version"])


async def _create_integration(
    backend: base.Backend,
    change: plans.Change,
    body: lt.IntegrationWrite,
    *,
    secret: str | None,
    force: bool,
) -> applyresults.ChangeOutcome:
    try:
        created = await backend.create_integration(body, idempotency_key=change.idempotency_key)
    except errors.NameConflictError as exc:
        existing = await _find_integration(backend, body, exc.existing_id)
        return await _reconcile(
            change,
            existing,
            matches=lambda live: integration_matches(live, body, secret),
            rewrite=lambda v: backend.put_integration(existing["id"], body, if_match=v),
            force=force,
            what=f"an integration of that name exists (id {existing['id']})",
        )
    return _outcome(change, applyresults.Outcome.APPLIED, "created", created["version"])


async def _find_integration(
    backend: base.Backend, body: lt.IntegrationWrite, existing_id: str | None
) -> lt.LiveIntegration:
    if existing_id:
        return await backend.get_integration(existing_id)
    for live in await backend.list_integrations(body["bot_id"]):
        if live["name"] == body["name"]:
            return live
    raise errors.ConflictError(f"integration {body['name']!r} conflicts but cannot be found")


def integration_matches(
    live: lt.LiveIntegration, body: lt.IntegrationWrite, secret: str | None
) -> bool:
    """True when ``live`` already holds everything ``body`` writes (secret by fingerprint)."""
    if any(live.get(k) != body.get(k) for k in ("bot_id", "name", "description", "status")):
        return False
    if not _contains(live.get("labels") or {}, body.get("labels") or {}):
        return False
    config = {k: v for k, v in (body.get("config") or {}).items() if k != "auth_secret"}
    if not _contains(cast(Mapping[str, Any], live.get("config") or {}), config):
        return False
    return normalizing.secret_matches(live, secret) is not False


def _contains(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(live.get(k) == v for k, v in wanted.items())


# --- slots ----------------------------------------------------------------------------------


def slot_body(change: plans.Change) -> lt.SlotWrite:
    body = _write_of(change)
    body.pop("slotId", None)  # the id travels in the URL
    body["triggerRetrain"] = False  # one retraining per bot, after every write
    return cast(lt.SlotWrite, body)


def slot_id_of(change: plans.Change) -> str:
    if change.live_id:
        return change.live_id
    slot_id = (change.write or {}).get("slotId")
    if isinstance(slot_id, str):
        return slot_id
    return writebodies.slot_id_for(change.bot_id, change.name)  # how the plan names new slots


def slot_matches(live: lt.LiveSlot, body: lt.SlotWrite) -> bool:
    same = all(
        live.get(k) == body.get(k) for k in ("botId", "name", "type", "patterns", "fillStrategy")
    )
    return (
        same
        and sorted(live.get("dependencies") or []) == sorted(body.get("dependencies") or [])
        and _contains(live.get("labels") or {}, body.get("labels") or {})
    )


async def _slot(
    backend: base.Backend, change: plans.Change, *, force: bool
) -> applyresults.ChangeOutcome:
    slot_id = slot_id_of(change)
    if change.action is plans.Action.DELETE:
        return await _delete(
            change,
            lambda v: backend.delete_slot(slot_id, if_match=v),
            lambda: backend.get_slot(slot_id),
            force=force,
        )
    body = slot_body(change)
    creating = change.action is plans.Action.CREATE
    try:
        stored, _job = await backend.put_slot(
            slot_id, body, if_match=None if creating else change.live_version,
            create_only=creating,
        )
    except errors.ConflictError:
        current = await backend.get_slot(slot_id)
        return await _reconcile(
            change,
            current,
            matches=lambda live: slot_matches(live, body),
            rewrite=lambda v: _put_slot(backend, slot_id, body, v),
            force=force,
        )
    return _outcome(
        change,
        applyresults.Outcome.APPLIED,
        "created" if creating else "updated",
        stored["version"],
    )


async def _put_slot(
    backend: base.Backend, slot_id: str, body: lt.SlotWrite, version: str
) -> lt.LiveSlot:
    stored, _job = await backend.put_slot(slot_id, body, if_match=version)
    return stored


# --- context defaults -------------------------------------------------------------------------


def context_changes(change: plans.Change) -> dict[str, lt.ContextEntry | None]:
    """The PATCH merge body: key -> entry, or None to remove the key."""
    write = _write_of(change)
    inner = write.get("context", write)
    return cast(dict[str, "lt.ContextEntry | None"], dict(inner))


async def _context_removal(
    backend: base.Backend, change: plans.Change
) -> dict[str, lt.ContextEntry | None]:
    """The keys the reconciler manages (from its stamp, else the plan's before), removed."""
    stamp = normalizing.context_stamp_of(await backend.get_context(change.bot_id))
    keys: list[str] = list(stamp.keys) if stamp else []
    variables = (change.before or {}).get("variables")
    if not keys and isinstance(variables, dict):
        keys = list(variables)
    body = writebodies.context_removal(keys)["context"]
    return cast(dict[str, "lt.ContextEntry | None"], body)


def context_matches(live: lt.LiveContext, changes: Mapping[str, lt.ContextEntry | None]) -> bool:
    current = live.get("context") or {}
    for key, entry in changes.items():
        if entry is None and key in current:
            return False
        if entry is not None and current.get(key) != entry:
            return False
    return True


async def _context(
    backend: base.Backend, change: plans.Change, *, force: bool
) -> applyresults.ChangeOutcome:
    bot_id = change.bot_id
    if change.action is plans.Action.DELETE:
        changes = await _context_removal(backend, change)
    else:
        changes = context_changes(change)
    version = change.live_version
    if version is None:
        version = (await backend.get_context(bot_id))["contextVersion"]
    try:
        stored = await backend.patch_context(bot_id, changes, if_match=version)
    except errors.VersionConflictError:
        current = await backend.get_context(bot_id)
        if _untouched_since_plan(change, current, changes):
            # The PATCH is a merge of our keys only: a version that moved on through other
            # keys (another team's variable, our own retraining marker whose answer was
            # lost) is no conflict, so the same merge goes out again at the new version.
            stored = await backend.patch_context(
                bot_id, changes, if_match=current["contextVersion"]
            )
            return _outcome(
                change,
                applyresults.Outcome.APPLIED,
                "patched (the context changed meanwhile, but not in the keys this change writes)",
                stored["contextVersion"],
            )
        return await _reconcile(
            change,
            current,
            matches=lambda live: context_matches(live, changes),
            rewrite=lambda v: backend.patch_context(bot_id, changes, if_match=v),
            force=force,
        )
    return _outcome(change, applyresults.Outcome.APPLIED, "patched", stored["contextVersion"])


def _untouched_since_plan(
    change: plans.Change, live: lt.LiveContext, changes: Mapping[str, lt.ContextEntry | None]
) -> bool:
    """True when every variable this PATCH writes still holds what the plan saw.

    Reserved keys (``_cogctl_*``: the applied stamp, the retraining marker) are the
    reconciler's own bookkeeping and take no part; the stamp is rewritten by the PATCH itself.
    """
    keys = frozenset(k for k in changes if not k.startswith(_RESERVED_PREFIX))
    seen = (change.before or {}).get("variables") or {}
    if not isinstance(seen, Mapping):
        return False
    now = normalizing.context_from_live(live, keys)["variables"]
    return now == {k: v for k, v in seen.items() if k in keys}


_RESERVED_PREFIX = "_cogctl_"


# --- shared ----------------------------------------------------------------------------------


def _version_of(live: Mapping[str, Any]) -> str:
    return str(live.get("version") or live.get("contextVersion") or "")


async def _reconcile(
    change: plans.Change,
    live: T,
    *,
    matches: Callable[[T], bool],
    rewrite: Callable[[str], Awaitable[Any]],
    force: bool,
    what: str = "",
) -> applyresults.ChangeOutcome:
    """After a 409: done already, a conflict to report, or (``force``) a write over it."""
    version = _version_of(cast(Mapping[str, Any], live))
    if matches(live):
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
    stored = await rewrite(version)
    new_version = _version_of(cast(Mapping[str, Any], stored)) if stored else None
    return _outcome(
        change, applyresults.Outcome.APPLIED, f"overwritten (--force): {why}", new_version
    )


async def _delete(
    change: plans.Change,
    delete: Callable[[str | None], Awaitable[None]],
    reread: Callable[[], Awaitable[Any]],
    *,
    force: bool,
) -> applyresults.ChangeOutcome:
    try:
        await delete(change.live_version)
    except errors.NotFoundError:
        return _outcome(change, applyresults.Outcome.SKIPPED, "already gone")
    except errors.VersionConflictError:
        current = await reread()
        version = _version_of(current)
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
