"""The emulator in-process behind the real client, with a fake clock so nothing waits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fakes import FakeClock

from reconciler.backend import client, retrying
from reconciler.emulator import platform as emulator

FIXTURE = Path(__file__).parent / "fixtures" / "ops-tenant.yaml"
ALL_SCOPES = (
    "cognigy:platform:read", "cognigy:slots:write", "cognigy:nlp:retrain", "context:write",
    "conversation:read", "simulation:execute", "session:read", "variable:read",
)


@dataclass
class Tenant:
    state: emulator.TenantState
    clock: FakeClock
    app: object

    @contextlib.asynccontextmanager
    async def backend(self, scopes: tuple[str, ...] = ALL_SCOPES,
                      client_id: str = "ops-client",
                      secret: str = "ops-secret") -> AsyncIterator[client.PlatformBackend]:
        policy = retrying.RetryPolicy(sleep=self.clock.sleep, clock=self.clock,
                                      jitter=lambda: 0.5)
        backend = client.PlatformBackend(
            base_url="http://emulator.test", client_id=client_id, client_secret=secret,
            scopes=scopes, transport=httpx.ASGITransport(app=self.app),
            retry=policy,
        )
        try:
            yield backend
        finally:
            await backend.aclose()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tenant(fake_clock: FakeClock) -> Tenant:
    state = emulator.TenantState.from_fixture(FIXTURE)
    return Tenant(state=state, clock=fake_clock, app=emulator.create_app(state, clock=fake_clock))
