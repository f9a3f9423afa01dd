"""The one tenant harness of the suite: the Platform emulator in-process behind the real client.

``EmulatedTenant`` holds an emulated tenant (``state``), the clock it and its clients share, the
ASGI app and a transport that reaches it as a loopback client. ``backend()`` builds the real
``PlatformBackend`` over that transport, with a retry policy on the same clock, so retries,
rate-limit waits, token expiry and training take no wall time. The admin helpers read and set
what the tests observe: the request log, injected faults.

Suites subclass it only to add their own conveniences (a default client, a fixture); the
end-to-end suites serve the same emulator over uvicorn instead (``tests/e2e/harness.py``).
Importable as ``harness`` from every test module, like ``fakes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import httpx
from fakes import FakeClock

from reconciler.backend import client
from reconciler.backend.httpkit import retrying
from reconciler.emulator.platform import TenantState, create_app, fixtures

PEER = ("127.0.0.1", 40000)  # the admin endpoints answer loopback clients only
BASE_URL = "http://emulator.test"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class EmulatedTenant:
    """An emulated tenant in-process, the fake clock it shares with its clients, and real
    clients bound to it: every wait moves the clock instead of taking time."""

    def __init__(self, state: TenantState, *, clock: FakeClock | None = None) -> None:
        self.state = state
        self.clock = clock if clock is not None else FakeClock()
        self.app = create_app(state, clock=self.clock)
        self.transport = httpx.ASGITransport(app=self.app, client=PEER)

    @classmethod
    def from_fixture(cls, fixture: Path | dict[str, Any], *,
                     clock: FakeClock | None = None) -> EmulatedTenant:
        """From a fixture file, or fixture data as a YAML file would hold it."""
        if isinstance(fixture, Path):
            return cls(TenantState.from_fixture(fixture), clock=clock)
        parsed = fixtures.parse(fixture, source="test fixture")
        return cls(TenantState.from_fixture_model(parsed, source="test fixture"), clock=clock)

    def policy(self, *, jitter: float = 0.5) -> retrying.RetryPolicy:
        return retrying.RetryPolicy(sleep=self.clock.sleep, clock=self.clock, wall=self.clock,
                                    jitter=lambda: jitter)

    def backend(self, client_id: str, client_secret: str, scopes: Sequence[str], *,
                jitter: float = 0.5, **kw: Any) -> client.PlatformBackend:
        """The real client, authenticated as ``client_id`` with ``scopes``."""
        kw.setdefault("retry", self.policy(jitter=jitter))
        return client.PlatformBackend(
            base_url=BASE_URL, client_id=client_id, client_secret=client_secret,
            scopes=tuple(scopes), transport=self.transport, **kw,
        )

    async def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """A request to ``/_emulator/{path}`` (the test-only admin endpoints)."""
        async with httpx.AsyncClient(transport=self.transport, base_url=BASE_URL) as c:
            return await c.request(method, f"/_emulator/{path}", **kw)

    async def faults(self, **config: Any) -> None:
        answer = await self.admin("PUT", "faults", json=config)
        assert answer.status_code == 200, answer.text

    async def requests(self) -> list[dict[str, Any]]:
        """The emulator's request log, as its admin endpoint answers it."""
        answer = await self.admin("GET", "requests")
        answer.raise_for_status()
        return cast(list[dict[str, Any]], answer.json())

    async def clear_requests(self) -> None:
        (await self.admin("DELETE", "requests")).raise_for_status()

    async def writes(self) -> list[dict[str, Any]]:
        """Logged writes, token requests left out."""
        return [r for r in await self.requests()
                if r["method"] in WRITES and "/oauth/" not in r["path"]]

    def log(self, *, method: str | None = None, path: str | None = None) -> list[Any]:
        """The stored request records, filtered by method and exact path."""
        return [e for e in self.state.requests
                if (method is None or e.method == method) and (path is None or e.path == path)]
