"""schemathesis drives every operation of the OpenAPI document against the emulator served
over real HTTP (uvicorn in a thread), and checks status codes, headers and bodies against
the document. The document tested is the file the emulator serves at ``/openapi.json``."""

from __future__ import annotations

import collections
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from reconciler.emulator.platform import TenantState, app, create_app, serving

from .conftest import ALL_SCOPES, TENANT

schema = schemathesis.openapi.from_path(str(app.OPENAPI_PATH))

# Ids of the test tenant. Random ids only ever reach 404s, so reads use a real id for about
# half of their draws, and their 200 bodies are checked against the document too.
REAL_IDS = {
    "botId": "bot_support",
    "slotId": "slot_bot_support_zip_code",
    "sessionId": "sess_1",
    "conversationId": "conv_1",
}


_DRAWS: collections.Counter[tuple[str, str]] = collections.Counter()


def _maybe_real(ctx: Any, values: dict[str, Any] | None, part: str) -> dict[str, Any] | None:
    """Every other draw of a read's path parameters (or query) uses the real ids."""
    if not values or ctx.operation.method.upper() != "GET":
        return values
    key = (ctx.operation.path, part)
    _DRAWS[key] += 1
    if _DRAWS[key] % 2:
        return values
    return {name: REAL_IDS.get(name, value) for name, value in values.items()}


@schema.hook("map_path_parameters")
def _real_path_ids(ctx: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    return _maybe_real(ctx, path_parameters, "path")


@schema.hook("map_query")
def _real_query_ids(ctx: Any, query: dict[str, Any] | None) -> dict[str, Any] | None:
    return _maybe_real(ctx, query, "query")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, str]]:
    state = TenantState.from_fixture(TENANT)
    state.settings.rateLimitPerMinute = 1_000_000
    with serving.serve_in_thread(create_app(state)) as handle:
        answer = httpx.post(f"{handle.url}/api/v1/auth/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "admin",
            "client_secret": "admin-secret", "scope": ALL_SCOPES})
        yield handle.url, answer.json()["access_token"]


def test_the_served_document_is_the_file(served: tuple[str, str]) -> None:
    served_doc = httpx.get(f"{served[0]}/openapi.json").json()
    assert served_doc == yaml.safe_load(app.OPENAPI_PATH.read_text(encoding="utf-8"))
    assert served_doc["openapi"].startswith("3.1")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(case: Any, served: tuple[str, str]) -> None:
    if case.headers and "Idempotency-Key" in case.headers:
        # Generated keys repeat across examples with other bodies; a repeated key with
        # another body is a client error (422), which is tested on its own.
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    case.call_and_validate(base_url=served[0],
                           headers={"Authorization": f"Bearer {served[1]}"})


def test_reads_reached_real_objects(served: tuple[str, str]) -> None:
    """Runs after the generated cases: reads of real ids answered 200 and were validated."""
    log = httpx.get(f"{served[0]}/_emulator/requests").json()
    answered = {e["path"] for e in log if e["method"] == "GET" and e["status"] == 200}
    for path in ("/api/v1/bots/bot_support", "/api/v1/slots/slot_bot_support_zip_code",
                 "/api/v1/bots/bot_support/context", "/api/v2/botsessions/sess_1/variables",
                 "/api/v1/context/conv_1"):
        assert path in answered, path
