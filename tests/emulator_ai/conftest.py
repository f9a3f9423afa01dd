"""The Cognigy.AI emulator in-process: an injected clock and a synchronous client over
``httpx.ASGITransport``, seeded from the example project's fixture."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from reconciler.emulator.cognigy_ai import TenantState, create_app

ROOT = Path(__file__).resolve().parents[2]
TENANT = ROOT / "manifests" / "fixtures" / "cognigy-ai-tenant.yaml"
KEY = "demo-api-key"
USER = "65f0c0ffee0000000000e001"
PROJECT = "65f0c0ffee0000000000a001"
FLOW = "65f0c0ffee0000000000c001"
LOCALE = "65f0c0ffee0000000000b001"
B = "/new/v2.0"


class Api:
    def __init__(self, app: Any, *, key: str | None = KEY, peer: str = "127.0.0.1") -> None:
        self.transport = httpx.ASGITransport(app=app, client=(peer, 40000))
        self.key = key

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.key is not None:
            headers.setdefault("X-API-Key", self.key)

        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport,
                                         base_url="http://emulator") as client:
                return await client.request(method, path, headers=headers, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", B + path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", B + path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", B + path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", B + path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", B + path, **kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state() -> TenantState:
    return TenantState.from_fixture(TENANT)


@pytest.fixture
def app(state: TenantState, clock: FakeClock) -> Any:
    return create_app(state, clock=clock)


@pytest.fixture
def api(app: Any) -> Api:
    return Api(app)


def wait_task(api: Api, clock: FakeClock, task_id: str, *, step: float = 0.25,
              limit: float = 60.0) -> dict[str, Any]:
    """Move the clock until the task ends (the injected clock: no sleeping)."""
    waited = 0.0
    while waited <= limit:
        task: dict[str, Any] = api.get(f"/tasks/{task_id}").json()
        if task["status"] not in ("queued", "active"):
            return task
        clock.advance(step)
        waited += step
    raise AssertionError(f"task {task_id} did not end")


ORDER_REGEX = r"/(?:\bORD-\d{6}\b)|(?:\b\d{8}\b)/g"
