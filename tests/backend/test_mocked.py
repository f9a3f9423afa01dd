"""Cases the emulator cannot produce, through ``httpx.MockTransport``."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from reconciler import errors
from reconciler.backend import client
from reconciler.backend.httpkit import retrying

from .conftest import FakeClock, run

TOKEN = {"access_token": "tok-canary", "token_type": "Bearer", "expires_in": 3600}


def _backend(clock: FakeClock, handler) -> client.PlatformBackend:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, wall=clock, jitter=lambda: 0.0)
    return client.PlatformBackend(
        base_url="https://tenant.example.com", client_id="c", client_secret="s",
        scopes=["cognigy:platform:read"], transport=httpx.MockTransport(handler), retry=policy,
    )


def _scripted(answers: list[httpx.Response | Exception]):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json=TOKEN)
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def test_retry_after_as_http_date(clock: FakeClock) -> None:
    date = email.utils.formatdate(clock.now + 7, usegmt=True)
    handler, seen = _scripted([
        httpx.Response(429, headers={"Retry-After": date}, json={"error": "rate_limited"}),
        httpx.Response(200, json={"botId": "b", "name": "n", "workspaceId": "w"}),
    ])

    async def scenario() -> None:
        async with _backend(clock, handler) as backend:
            await backend.get_bot("b")

    run(scenario)
    assert len(seen) == 2
    assert clock.sleeps[0] == pytest.approx(7.0)


def test_proxy_html_502_is_retried_and_mapped(clock: FakeClock) -> None:
    handler, seen = _scripted([httpx.Response(502, text="<html>bad gateway</html>")] * 5)

    async def scenario() -> None:
        async with _backend(clock, handler) as backend:
            await backend.get_bot("b")

    with pytest.raises(errors.ServerError, match="GET /api/v1/bots/b -> 502"):
        run(scenario)
    assert len(seen) == 5


def test_refused_connection_is_retried_even_for_a_post(clock: FakeClock) -> None:
    handler, seen = _scripted([
        httpx.ConnectError("refused"),
        httpx.Response(202, json={"simulationId": "sim_1", "status": "queued"}),
    ])

    async def scenario() -> object:
        async with _backend(clock, handler) as backend:
            answer = await backend._requester.request("POST", "/api/bot/simulate", json={})
            return answer.body

    assert run(scenario) == {"simulationId": "sim_1", "status": "queued"}
    assert len(seen) == 2


def test_read_error_after_sending_a_post_is_not_retried(clock: FakeClock) -> None:
    handler, seen = _scripted([httpx.ReadError("reset"), httpx.Response(202, json={})])

    async def scenario() -> None:
        async with _backend(clock, handler) as backend:
            await backend._requester.request("POST", "/api/bot/simulate", json={})

    with pytest.raises(errors.TransportError, match="POST /api/bot/simulate failed"):
        run(scenario)
    assert len(seen) == 1


def test_token_endpoint_without_a_token(clock: FakeClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"hello": "world"})

    async def scenario() -> None:
        async with _backend(clock, handler) as backend:
            await backend.list_bots()

    with pytest.raises(errors.BackendError, match="COGNIGY_TOKEN_URL"):
        run(scenario)


def test_token_url_and_form(clock: FakeClock) -> None:
    forms: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            forms.append(request.content)
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
            return httpx.Response(200, json=TOKEN)
        assert request.headers["authorization"] == "Bearer tok-canary"
        return httpx.Response(200, json={"data": [], "total": 0, "limit": 100, "offset": 0})

    async def scenario() -> None:
        policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, wall=clock)
        async with client.PlatformBackend(
            base_url="https://tenant.example.com/", client_id="cid", client_secret="s3",
            scopes=["b", "a", "a"], token_url="https://auth.example.com/oauth/token",
            transport=httpx.MockTransport(handler), retry=policy,
        ) as backend:
            assert await backend.list_bots() == []

    run(scenario)
    assert forms == [b"grant_type=client_credentials&client_id=cid&client_secret=s3&scope=a+b"]


def test_401_refreshes_the_token_once_then_fails(clock: FakeClock) -> None:
    token_requests: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            token_requests.append(1)
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(401, json={"error": "unauthorized", "message": "token revoked"})

    async def scenario() -> None:
        async with _backend(clock, handler) as backend:
            await backend.get_bot("b")

    with pytest.raises(errors.UnauthorizedError, match="GET /api/v1/bots/b -> 401"):
        run(scenario)
    assert len(token_requests) == 2


def test_a_broken_observer_does_not_fail_the_request(clock: FakeClock, caplog) -> None:
    class Broken:
        def on_request(self, event: object) -> None:
            raise RuntimeError("metrics sink down")

    handler, _ = _scripted([httpx.Response(200, json={"botId": "b"})])

    async def scenario() -> object:
        policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, wall=clock)
        async with client.PlatformBackend(
            base_url="https://t.example.com", client_id="c", client_secret="s", scopes=["r"],
            transport=httpx.MockTransport(handler), retry=policy, observers=[Broken()],
        ) as backend:
            return await backend.get_bot("b")

    assert run(scenario) == {"botId": "b"}
    assert "request observer" in caplog.text
