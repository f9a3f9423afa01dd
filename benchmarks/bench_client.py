"""Client overhead per request: ``PlatformBackend`` against raw httpx, same in-process emulator.

Both sides send the same authorized ``GET /api/v1/slots/{id}`` through one pooled
``httpx.AsyncClient`` over ``httpx.ASGITransport``; the emulator's work is the same, so the
difference is what the client adds per request: the rate limiter, the token cache, the
retry wrapper (tenacity), observers and error mapping. Figures: sequential and 20
concurrent requests, microseconds per request, and the overhead ratio. The rate limits of
both the emulator and the client are set far out of reach so that only overhead is timed.

Run: ``.venv/bin/python benchmarks/bench_client.py [REQUESTS]``
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from starlette.types import Receive, Scope, Send

from reconciler.backend import base, client
from reconciler.emulator.platform import TenantState, create_app, fixtures

SCOPES = ("cognigy:platform:read",)
UNLIMITED = 10_000_000
SLOT = "slot_bench"


def _transport() -> httpx.ASGITransport:
    fixture = fixtures.parse(
        {
            "settings": {"rateLimitPerMinute": UNLIMITED},
            "workspaces": [{
                "id": "ws",
                "clients": [{"clientId": "c", "clientSecret": "s", "scopes": list(SCOPES)}],
                "bots": [{"botId": "bot", "name": "Bench", "slots": [
                    {"slotId": SLOT, "name": "zip", "patterns": [r"\d{5}"]}]}],
            }],
        },
        source="bench",
    )
    state = TenantState.from_fixture_model(fixture, source="bench")
    state.requests.clear()
    return httpx.ASGITransport(app=create_app(state), client=("127.0.0.1", 40000))


class _Counter:
    def __init__(self) -> None:
        self.events = 0

    def on_request(self, event: base.RequestEvent) -> None:
        self.events += 1


async def _timed(send: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> float:
    """Seconds per request over one round of ``requests``."""
    started = time.perf_counter()
    for _ in range(requests // concurrency):
        await asyncio.gather(*(send() for _ in range(concurrency)))
    return (time.perf_counter() - started) / requests


async def _noop_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI app that answers at once: timing against it leaves only client-side work."""
    if scope["path"].endswith("/token"):
        body = b'{"access_token": "t", "token_type": "Bearer", "expires_in": 3600}'
    else:
        body = b'{"slotId": "slot_bench"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _transport_for(app_kind: str) -> httpx.ASGITransport:
    return _transport() if app_kind == "emulator" else httpx.ASGITransport(app=_noop_app)


async def _raw(app_kind: str, requests: int, concurrency: int) -> float:
    async with httpx.AsyncClient(transport=_transport_for(app_kind),
                                 base_url="http://emulator") as http:
        form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s",
                "scope": " ".join(SCOPES)}
        token = (await http.post("/api/v1/auth/oauth/token", data=form)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def send() -> object:
            response = await http.get(f"/api/v1/slots/{SLOT}", headers=headers)
            response.raise_for_status()
            return response.json()

        return await _timed(send, requests, concurrency)


async def _client(app_kind: str, requests: int, concurrency: int) -> float:
    counter = _Counter()
    async with client.PlatformBackend(
        base_url="http://emulator", client_id="c", client_secret="s", scopes=SCOPES,
        transport=_transport_for(app_kind), rate_limit_per_minute=UNLIMITED,
        observers=[counter],
    ) as backend:
        await backend.get_slot(SLOT)  # the token, once
        seconds = await _timed(lambda: backend.get_slot(SLOT), requests, concurrency)
    assert counter.events == 2 + (requests // concurrency) * concurrency, counter.events
    return seconds


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = 5
    print(f"client overhead: GET /api/v1/slots/{{id}}, {rounds} rounds of {requests} requests, "
          "median per request, over httpx.ASGITransport")
    print(f"{'server':>8}  {'concurrency':>11}  {'raw httpx':>10}  {'PlatformBackend':>15}  "
          f"{'overhead':>9}  {'ratio':>5}")
    for app_kind in ("emulator", "no-op"):
        for concurrency in (1, 20):
            raws, ours = [], []
            for _ in range(rounds):  # interleaved, each on a fresh server: same conditions
                raws.append(asyncio.run(_raw(app_kind, requests, concurrency)))
                ours.append(asyncio.run(_client(app_kind, requests, concurrency)))
            raw, mine = statistics.median(raws), statistics.median(ours)
            print(f"{app_kind:>8}  {concurrency:>11}  {raw * 1e6:>8.0f}us  {mine * 1e6:>13.0f}us"
                  f"  {(mine - raw) * 1e6:>7.0f}us  {mine / raw:>5.2f}")
    print("overhead = rate limiter + token cache + tenacity retry wrapper + deadline + "
          "observers + error mapping")


if __name__ == "__main__":
    main()
