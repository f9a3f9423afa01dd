"""Tokens, faults, retries and the rate limiter, against the emulator in-process.

Faults come from the emulator's ``/_emulator/faults`` ``sequence``; the client's sleeps and
the emulator's clock are one ``FakeClock``, so retries and rate limits take no wall time.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import logging
from typing import cast

import pytest

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt

from .conftest import SECRETS, Recorder, Tenant, run
from .test_client import NEW_INTEGRATION

READ = ("cognigy:platform:read",)
# The body as the requester sends it: a TypedDict is not ``Json`` to mypy (the client casts too).
NEW_INTEGRATION_JSON = cast(lt.Json, NEW_INTEGRATION)


def test_token_refreshed_ahead_of_expiry_mid_run(tenant: Tenant) -> None:
    tenant.state.settings.tokenTtlSeconds = 1.0

    async def scenario() -> None:
        async with tenant.backend(scopes=READ) as backend:
            for _ in range(5):
                await backend.get_slot("slot_zip")
                tenant.clock.now += 0.5  # the 1 s token is renewed at 0.9 s, never used late

    run(scenario)
    assert tenant.token_requests() == 3
    assert not [e for e in tenant.state.requests if e.status == 401]


def test_token_revoked_server_side_is_refreshed_once_on_401(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend(scopes=READ) as backend:
            await backend.get_slot("slot_zip")
            tenant.state.tokens.clear()  # the server forgets every token
            await backend.get_slot("slot_zip")
            assert backend.token_fetches == 2

    run(scenario)
    assert [e.status for e in tenant.log(path="/api/v1/slots/slot_zip")] == [200, 401, 200]


def test_fifty_concurrent_requests_with_expired_token_cause_one_token_request(
    tenant: Tenant,
) -> None:
    async def scenario() -> None:
        async with tenant.backend(scopes=READ) as backend:
            await backend.get_slot("slot_zip")
            tenant.clock.now += 3600  # expired
            await asyncio.gather(*(backend.get_slot("slot_zip") for _ in range(50)))

    run(scenario)
    assert tenant.token_requests() == 2
    assert len(tenant.log(path="/api/v1/slots/slot_zip")) == 51


def test_bad_credentials_fail_at_once_with_what_to_set(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend(client_secret="wrong") as backend:
            await backend.list_bots()

    with pytest.raises(errors.UnauthorizedError, match="COGNIGY_CLIENT_SECRET"):
        run(scenario)
    assert tenant.token_requests() == 1


def test_missing_scope_is_a_typed_error_naming_the_scope(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend("reader", scopes=READ) as backend:
            await backend.put_slot("slot_zip", {
                "botId": "bot_support", "name": "zip_code", "type": "regex",
                "patterns": ["\\d{5}"], "fillStrategy": "firstMatch", "dependencies": [],
                "triggerRetrain": False, "labels": {}})

    with pytest.raises(errors.InsufficientScopeError) as info:
        run(scenario)
    assert info.value.scope == "cognigy:slots:write"
    assert info.value.status == 403
    assert len(tenant.log(method="PUT")) == 1, "a 403 is not retried"


def test_asking_for_a_scope_the_client_lacks(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend("reader", scopes=(*READ, "cognigy:slots:write")) as backend:
            await backend.list_bots()

    with pytest.raises(errors.InsufficientScopeError, match="invalid_scope"):
        run(scenario)


def test_fault_sequence_429_503_timeout_then_200(tenant: Tenant, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="reconciler.backend")
    recorder = Recorder()

    async def scenario() -> dict:
        async with tenant.backend(jitter=0.0, observers=[recorder],
                                  timeout_seconds=0.05) as backend:
            await backend.list_bots()  # token first: the sequence counts every request
            await tenant.faults(sequence=["429", "503", "timeout"], timeoutSeconds=5)
            recorder.events.clear()
            return dict(await backend.get_slot("slot_zip"))

    slot = run(scenario)
    assert slot["slotId"] == "slot_zip"
    assert [r.getMessage() for r in caplog.records] == [
        "attempt 1/5 failed, retrying in 1.0s: GET /api/v1/slots/slot_zip -> 429",
        "attempt 2/5 failed, retrying in 0s: GET /api/v1/slots/slot_zip -> 503",
        "attempt 3/5 failed, retrying in 0s: GET /api/v1/slots/slot_zip -> no answer",
    ]
    assert tenant.clock.sleeps[0] == 1.0, "Retry-After: 1 honoured with zero jitter"
    assert [(e.attempt, e.status, e.retried, e.rate_limited) for e in recorder.events] == [
        (1, 429, False, True), (2, 503, True, False), (3, None, True, False),
        (4, 200, True, False),
    ]
    assert recorder.events[2].error == "TimeoutError"
    assert all(isinstance(e, base.RequestEvent) for e in recorder.events)
    assert {e.path for e in recorder.events} == {"/api/v1/slots/slot_zip"}


def test_waits_are_never_shorter_than_retry_after(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend(jitter=0.0) as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["429", "429", "429"])
            await backend.list_bots()

    run(scenario)
    sent = [datetime.datetime.fromisoformat(e.ts.replace("Z", "+00:00")).timestamp()
            for e in tenant.log(path="/api/v1/bots")[1:]]
    assert len(sent) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent)]
    assert all(gap >= 1.0 for gap in gaps), gaps


def test_gives_up_after_five_attempts_with_the_last_error(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["503"] * 6)
            await backend.list_bots()

    with pytest.raises(errors.ServerError, match=r"GET /api/v1/bots -> 503"):
        run(scenario)
    assert len(tenant.log(path="/api/v1/bots")) == 1 + 5


def test_connection_reset_is_retried(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["reset"])
            assert len(await backend.list_slots("bot_support")) == 1

    run(scenario)
    assert [e.fault for e in tenant.log(path="/api/v1/slots")] == ["reset", None]


def test_commit_then_503_on_create_leaves_exactly_one_object(tenant: Tenant) -> None:
    async def scenario() -> list:
        async with tenant.backend() as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["commit-then-503"])
            created = await backend.create_integration(NEW_INTEGRATION,
                                                       idempotency_key="apply-42-order_api")
            listed = await backend.list_integrations("bot_support")
            assert created["id"] in {i["id"] for i in listed}
            return [i for i in listed if i["name"] == "order_api"]

    assert len(run(scenario)) == 1
    posts = tenant.log(method="POST", path="/api/v1/integrations")
    assert [(p.status, p.idempotencyKey) for p in posts] == [
        (503, "apply-42-order_api"), (201, "apply-42-order_api")]


def test_post_without_idempotency_key_is_not_retried(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["commit-then-503"])
            requester = backend._requester
            await requester.request("POST", "/api/v1/integrations", json=NEW_INTEGRATION_JSON)

    with pytest.raises(errors.ServerError):
        run(scenario)
    assert len(tenant.log(method="POST", path="/api/v1/integrations")) == 1


def test_a_429_is_retried_even_for_a_post_without_key(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend() as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["429"])
            await backend._requester.request("POST", "/api/v1/integrations",
                                             json=NEW_INTEGRATION_JSON)

    run(scenario)
    assert [p.status for p in tenant.log(method="POST", path="/api/v1/integrations")] == [
        429, 201]


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_burst_of_500_requests_draws_no_429(tenant: Tenant, window: str) -> None:
    tenant.state.settings.rateLimitPerMinute = 100
    tenant.state.settings.rateLimitWindow = window  # type: ignore[assignment]
    started = tenant.clock.now

    async def scenario() -> None:
        async with tenant.backend(scopes=READ) as backend:
            await asyncio.gather(*(backend.get_slot("slot_zip") for _ in range(500)))
            assert backend.limiter.limit_per_minute == 100, "learned from X-RateLimit-Limit"

    run(scenario)
    assert [e.status for e in tenant.state.requests if e.status != 200] == []
    assert len(tenant.state.requests) == 501
    # Paced to the server's count: the whole quota of every window, within 2 % of the
    # bound 501 / 100 per minute (a fixed window may start part-way: then a little under).
    elapsed, bound = tenant.clock.now - started, 501 / 100 * 60
    assert 0.95 * bound <= elapsed <= 1.02 * bound


def test_a_429_pauses_every_worker(tenant: Tenant) -> None:
    async def scenario() -> None:
        async with tenant.backend(scopes=READ, jitter=0.0) as backend:
            await backend.list_bots()
            await tenant.faults(sequence=["429"])
            before = tenant.clock.now
            await asyncio.gather(*(backend.get_slot("slot_zip") for _ in range(10)))
            assert tenant.clock.now >= before + 1.0

    run(scenario)
    after_429 = [e for e in tenant.state.requests if e.path == "/api/v1/slots/slot_zip"]
    first_limited = next(i for i, e in enumerate(after_429) if e.status == 429)
    assert all(e.status == 200 for e in after_429[first_limited + 1:])


def test_secrets_and_tokens_never_logged(tenant: Tenant, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []

    async def scenario() -> None:
        async with tenant.backend(jitter=0.0) as backend:
            await backend.list_bots()
            tokens.extend(tenant.state.tokens)
            await tenant.faults(sequence=["503", "commit-then-503"])
            await backend.create_integration(NEW_INTEGRATION)
        async with tenant.backend(client_secret="wrong-canary-secret") as bad:
            with pytest.raises(errors.UnauthorizedError) as info:
                await bad.list_bots()
            assert "wrong-canary-secret" not in str(info.value)
            assert "wrong-canary-secret" not in repr(bad._requester._credentials)

    run(scenario)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying" in text
    for secret in [*SECRETS.values(), "integration-secret-canary", "wrong-canary-secret", *tokens]:
        assert secret not in text
    assert "Bearer" not in text


def test_quota_used_by_an_earlier_command_draws_no_429(tenant: Tenant) -> None:
    tenant.state.settings.rateLimitPerMinute = 100
    tenant.state.hits["admin"] = [tenant.clock.now] * 95  # another process, this minute

    async def scenario() -> None:
        async with tenant.backend(scopes=READ) as backend:
            await asyncio.gather(*(backend.get_slot("slot_zip") for _ in range(20)))

    run(scenario)
    assert [e.status for e in tenant.state.requests] == [200] * 21
