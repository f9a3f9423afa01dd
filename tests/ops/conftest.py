"""The emulator in-process behind the real client, with a fake clock so nothing waits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import harness
import pytest
from fakes import FakeClock

from reconciler.backend import client
from reconciler.emulator import platform as emulator

FIXTURE = Path(__file__).parent / "fixtures" / "ops-tenant.yaml"
ALL_SCOPES = (
    "cognigy:platform:read", "cognigy:slots:write", "cognigy:nlp:retrain", "context:write",
    "conversation:read", "simulation:execute", "session:read", "variable:read",
)


class Tenant(harness.FakeClockTenant):
    """The ops fixture's tenant; ``connected()`` opens and closes a real client around a block."""

    @contextlib.asynccontextmanager
    async def connected(self, scopes: tuple[str, ...] = ALL_SCOPES,
                     client_id: str = "ops-client",
                     secret: str = "ops-secret") -> AsyncIterator[client.PlatformBackend]:
        backend = self.backend(client_id, secret, scopes)
        try:
            yield backend
        finally:
            await backend.aclose()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tenant(fake_clock: FakeClock) -> Tenant:
    return Tenant(emulator.TenantState.from_fixture(FIXTURE), clock=fake_clock)
