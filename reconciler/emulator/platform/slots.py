"""Slots: list, get, upsert (``PUT``: 201 created, 200 replaced), delete.

``If-Match`` is optional (last writer wins without it); ``If-None-Match: *`` means create-only
(``409 already_exists`` when the slot exists). Names are unique per bot (``409
name_conflict``). Dependencies are slot ids of the same bot without cycles; deleting a slot
that others depend on is ``409 dependency_conflict``. ``triggerRetrain: true`` (also needs
``cognigy:nlp:retrain``) starts or joins the bot's retraining job and answers its id in
``X-Retrain-Job``.
"""

from __future__ import annotations

from pydantic import JsonValue

from reconciler.emulator.platform import checks, records, training, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

READ = "cognigy:platform:read"
WRITE = "cognigy:slots:write"
RETRAIN = "cognigy:nlp:retrain"


def render(rec: records.SlotRecord) -> dict[str, JsonValue]:
    return rec.model_dump(mode="json")


def _owned(call: Call) -> records.SlotRecord:
    return call.owned(call.state.slots, "slot", call.params["slotId"], lambda s: s.botId)


def list_slots(call: Call) -> wire.Answer:
    items = call.listed(call.state.slots.values(), lambda rec: rec.botId)
    return wire.Answer(200, wire.page(items, call.query, render))


def get_slot(call: Call) -> wire.Answer:
    rec = _owned(call)
    return wire.Answer(200, render(rec), wire.etag(rec.version))


def _preconditions(call: Call, existing: records.SlotRecord | None) -> None:
    if existing is not None:
        if (call.header("if-none-match") or "").strip() == "*":
            raise wire.ApiError(
                409, "already_exists", f"slot {existing.slotId!r} already exists",
                extra={"currentVersion": existing.version}, headers=wire.etag(existing.version),
            )
        wire.check_if_match(call.header("if-match"), existing.version)
        return
    wanted = wire.parse_etag(call.header("if-match"))
    if wanted not in (None, "*"):
        raise wire.ApiError(409, "version_conflict",
                            f"slot {call.params['slotId']!r} does not exist",
                            extra={"currentVersion": None})


def put_slot(call: Call) -> wire.Answer:
    slot_id = call.params["slotId"]
    existing = call.state.slots.get(slot_id)
    if existing is not None:
        call.bot(existing.botId)
    call.body_bot("botId")
    body = checks.parse_slot(call.body)
    call.bot(body.botId)
    if existing is not None and existing.botId != body.botId:
        raise wire.invalid("botId", f"cannot move a slot to another bot ({existing.botId})")
    _preconditions(call, existing)
    for other in call.state.slots.values():
        if other.botId == body.botId and other.name == body.name and other.slotId != slot_id:
            raise wire.name_conflict("a slot", body.botId, body.name, other.slotId)
    if body.triggerRetrain:
        call.require(RETRAIN)
    checks.check_dependencies(slot_id, body.botId, body.dependencies, call.state.slots)
    rec = records.SlotRecord(
        slotId=slot_id, botId=body.botId, name=body.name, type=body.type,
        patterns=body.patterns, fillStrategy=body.fillStrategy,
        dependencies=body.dependencies, labels=body.labels,
        version=call.state.next_version(), updatedAt=wire.timestamp(call.now),
    )
    call.state.slots[slot_id] = rec
    training.slots_changed(call.state, body.botId, call.now)
    answer = wire.Answer(200 if existing else 201, render(rec), wire.etag(rec.version))
    if body.triggerRetrain:
        job = training.start_or_join(call.state, body.botId, call.now)
        answer.headers["X-Retrain-Job"] = job.jobId
    return answer


def delete_slot(call: Call) -> wire.Answer:
    rec = _owned(call)
    wire.check_if_match(call.header("if-match"), rec.version)
    dependents = sorted(s.slotId for s in call.state.slots.values()
                        if rec.slotId in s.dependencies and s.slotId != rec.slotId)
    if dependents:
        raise wire.ApiError(
            409, "dependency_conflict",
            f"slot {rec.slotId!r} is a dependency of {', '.join(dependents)}",
            details=[{"field": "dependencies", "message": f"{d} depends on {rec.slotId}"}
                     for d in dependents],
            extra={"dependents": list(dependents)},
        )
    del call.state.slots[rec.slotId]
    training.slots_changed(call.state, rec.botId, call.now)
    return wire.Answer(204)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v1/slots", list_slots, (READ,)),
    Endpoint("GET", "/api/v1/slots/{slotId}", get_slot, (READ,)),
    Endpoint("PUT", "/api/v1/slots/{slotId}", put_slot, (WRITE,)),
    Endpoint("DELETE", "/api/v1/slots/{slotId}", delete_slot, (WRITE,)),
]
