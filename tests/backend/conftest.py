"""Shared helpers of the client tests: a fake clock, and the emulator in-process.

The emulator and the client share one ``FakeClock``: the client's retry and rate-limit
sleeps move it forward at once, and the emulator reads the same time for token expiry and
rate-limit windows. No test waits on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from reconciler.backend import client, retrying
from reconciler.emulator.platform import TenantState, create_app

TENANT = Path(__file__).parent / "fixtures" / "tenant.yaml"
ALL_SCOPES = (
    "cognigy:platform:read", "cognigy:integrations:write", "cognigy:slots:write",
    "cognigy:nlp:retrain", "context:write", "conversation:read", "simulation:execute",
    "session:read", "variable:read",
)
SECRETS = {"admin": "admin-secret-canary-7f3a", "reader": "reader-secret-canary-91c2"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class Recorder:
    """A ``RequestObserver`` that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_request(self, event: Any) -> None:
        self.events.append(event)


@dataclass
class Tenant:
    """The emulator over a fresh state, and a factory of clients bound to it."""

    state: TenantState
    clock: FakeClock
    app: Any

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    def backend(self, client_id: str = "admin", *, scopes: tuple[str, ...] = ALL_SCOPES,
                jitter: float = 1.0, **kw: Any) -> client.PlatformBackend:
        policy = retrying.RetryPolicy(sleep=self.clock.sleep, clock=self.clock,
                                      wall=self.clock, jitter=lambda: jitter)
        kw.setdefault("retry", policy)
        return client.PlatformBackend(
            base_url="http://emulator", client_id=client_id,
            client_secret=kw.pop("client_secret", SECRETS.get(client_id, "x")),
            scopes=scopes, transport=self.transport(), **kw,
        )

    async def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(transport=self.transport(), base_url="http://emulator") as c:
            return await c.request(method, f"/_emulator/{path}", **kw)

    async def faults(self, **config: Any) -> None:
        answer = await self.admin("PUT", "faults", json=config)
        assert answer.status_code == 200, answer.text

    def log(self, *, method: str | None = None, path: str | None = None) -> list[Any]:
        return [e for e in self.state.requests
                if (method is None or e.method == method) and (path is None or e.path == path)]

    def token_requests(self) -> int:
        return len(self.log(method="POST", path="/api/v1/auth/oauth/token"))


@pytest.fixture
def tenant(clock: FakeClock) -> Tenant:
    state = TenantState.from_fixture(TENANT)
    return Tenant(state=state, clock=clock, app=create_app(state, clock=clock))


def run(scenario: Callable[[], Any]) -> Any:
    """Run an ``async def`` scenario in a fresh event loop."""
    return asyncio.run(scenario())
