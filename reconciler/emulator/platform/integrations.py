"""Integrations: list, get, create (``Idempotency-Key`` aware), replace, delete.

Names are unique per bot (``409 name_conflict`` carries the existing ``id``). ``auth_secret``
is write-only: reads carry ``auth_secret_sha256`` = hex SHA-256 of ``"<id>:<secret>"`` (null
without a secret), and that hash is all the tenant keeps. A PUT without
``config.auth_secret`` keeps the stored secret; an explicit ``null`` removes it. ``bot_id``
cannot change.
"""

from __future__ import annotations

import uuid

from pydantic import JsonValue

from reconciler.emulator.platform import checks, records, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

READ = "cognigy:platform:read"
WRITE = "cognigy:integrations:write"


def render(rec: records.IntegrationRecord) -> dict[str, JsonValue]:
    return {
        "id": rec.id, "bot_id": rec.bot_id, "name": rec.name, "description": rec.description,
        "status": rec.status, "labels": dict(rec.labels), "config": dict(rec.config),
        "auth_secret_sha256": rec.secret_sha256,
        "created_at": rec.created_at, "updated_at": rec.updated_at, "version": rec.version,
    }


secret_fingerprint = records.secret_fingerprint


def _owned(call: Call) -> records.IntegrationRecord:
    return call.owned(call.state.integrations, "integration", call.params["integrationId"],
                      lambda i: i.bot_id)


def _check_name(call: Call, bot_id: str, name: str, ident: str | None) -> None:
    for other in call.state.integrations.values():
        if other.bot_id == bot_id and other.name == name and other.id != ident:
            raise wire.name_conflict("an integration", bot_id, name, other.id)


def _answer(rec: records.IntegrationRecord, status: int = 200) -> wire.Answer:
    return wire.Answer(status, render(rec), wire.etag(rec.version))


def list_integrations(call: Call) -> wire.Answer:
    items = call.listed(call.state.integrations.values(), lambda rec: rec.bot_id)
    return wire.Answer(200, wire.page(items, call.query, render))


def get_integration(call: Call) -> wire.Answer:
    return _answer(_owned(call))


def create_integration(call: Call) -> wire.Answer:
    call.body_bot("bot_id")
    body = checks.parse_integration(call.body)
    call.bot(body.bot_id)
    _check_name(call, body.bot_id, body.name, None)
    ident = f"int_{uuid.uuid4()}"
    stamp = wire.timestamp(call.now)
    rec = records.IntegrationRecord(
        id=ident, bot_id=body.bot_id, name=body.name, description=body.description,
        status=body.status, labels=body.labels, config=body.stored_config(),
        secret_sha256=secret_fingerprint(ident, body.config.auth_secret),
        created_at=stamp, updated_at=stamp,
        version=call.state.next_version(),
    )
    call.state.integrations[ident] = rec
    answer = _answer(rec, 201)
    answer.headers["Location"] = f"/api/v1/integrations/{ident}"
    return answer


def replace_integration(call: Call) -> wire.Answer:
    rec = _owned(call)
    wire.check_if_match(call.header("if-match"), rec.version)
    body = checks.parse_integration(call.body)
    if body.bot_id != rec.bot_id:
        raise wire.invalid("bot_id", f"cannot move an integration to another bot ({rec.bot_id})")
    _check_name(call, rec.bot_id, body.name, rec.id)
    rec.name, rec.description, rec.status = body.name, body.description, body.status
    rec.labels, rec.config = body.labels, body.stored_config()
    if body.secret_given():
        rec.secret_sha256 = secret_fingerprint(rec.id, body.config.auth_secret)
    rec.updated_at = wire.timestamp(call.now)
    rec.version = call.state.next_version()
    return _answer(rec)


def delete_integration(call: Call) -> wire.Answer:
    rec = _owned(call)
    wire.check_if_match(call.header("if-match"), rec.version)
    del call.state.integrations[rec.id]
    return wire.Answer(204)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v1/integrations", list_integrations, (READ,)),
    Endpoint("POST", "/api/v1/integrations", create_integration, (WRITE,)),
    Endpoint("GET", "/api/v1/integrations/{integrationId}", get_integration, (READ,)),
    Endpoint("PUT", "/api/v1/integrations/{integrationId}", replace_integration, (WRITE,)),
    Endpoint("DELETE", "/api/v1/integrations/{integrationId}", delete_integration, (WRITE,)),
]
