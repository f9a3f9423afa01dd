"""Shared helpers of the client tests: a fake clock, and the emulator in-process.

The emulator and the client share one ``FakeClock``: the client's retry and rate-limit
sleeps move it forward at once, and the emulator reads the same time for token expiry and
rate-limit windows. No test waits on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import harness
import pytest
from fakes import FakeClock

from reconciler.backend import client
from reconciler.emulator.platform import TenantState

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


class Tenant(harness.FakeClockTenant):
    """The emulator over a fresh state; clients default to the ``admin`` client."""

    def backend(self, client_id: str = "admin", client_secret: str | None = None,
                scopes: Sequence[str] = ALL_SCOPES, *, jitter: float = 1.0,
                **kw: Any) -> client.PlatformBackend:
        secret = client_secret if client_secret is not None else SECRETS.get(client_id, "x")
        return super().backend(client_id, secret, scopes, jitter=jitter, **kw)

    def token_requests(self) -> int:
        return len(self.log(method="POST", path="/api/v1/auth/oauth/token"))


@pytest.fixture
def tenant(clock: FakeClock) -> Tenant:
    return Tenant(TenantState.from_fixture(TENANT), clock=clock)


def run(scenario: Callable[[], Any]) -> Any:
    """Run an ``async def`` scenario in a fresh event loop."""
    return asyncio.run(scenario())
