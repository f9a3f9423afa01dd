"""In-process emulator for tests: an injected clock and a synchronous client over
``httpx.ASGITransport`` (each request runs in its own short event loop)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from reconciler.emulator.platform import TenantState, create_app

FIXTURES = Path(__file__).parent / "fixtures"
TENANT = FIXTURES / "tenant.yaml"
ALL_SCOPES = (
    "cognigy:platform:read cognigy:integrations:write cognigy:slots:write cognigy:nlp:retrain "
    "context:write conversation:read simulation:execute session:read variable:read"
)


class Api:
    """A synchronous client of the in-process app, with token helpers."""

    def __init__(self, app: Any, *, peer: str = "127.0.0.1") -> None:
        self.app = app
        self.transport = httpx.ASGITransport(app=app, client=(peer, 40000))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport,
                                         base_url="http://emulator") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def token(self, client_id: str = "admin", secret: str | None = None,
              scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret or f"{client_id}-secret"}
        if scope is not None:
            form["scope"] = scope
        answer = self.request("POST", "/api/v1/auth/oauth/token", data=form)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def as_client(self, client_id: str = "admin", scope: str | None = None) -> Authed:
        return Authed(self, self.token(client_id, scope=scope))


class Authed:
    """Requests with one bearer token."""

    def __init__(self, api: Api, token: str) -> None:
        self.api = api
        self.token = token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.api.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state() -> TenantState:
    return TenantState.from_fixture(TENANT)


@pytest.fixture
def api(state: TenantState, clock: FakeClock) -> Api:
    return Api(create_app(state, clock=clock))


@pytest.fixture
def admin(api: Api) -> Authed:
    return api.as_client("admin")


@pytest.fixture
def reader(api: Api) -> Authed:
    return api.as_client("reader")


def slot_body(name: str = "order_number", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "botId": "bot_support", "name": name, "type": "regex",
        "patterns": [r"(?i)(ORD-\d+)"], "fillStrategy": "firstMatch",
        "dependencies": [], "triggerRetrain": False, "labels": {},
    }
    body.update(overrides)
    return body


def integration_body(name: str = "crm_lookup", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "bot_id": "bot_support", "name": name, "description": "CRM lookup",
        "status": "ACTIVE", "labels": {"managed-by": "cogctl"},
        "config": {"url": "https://crm.example.com/orders", "method": "POST",
                   "auth_type": "bearer", "headers": {}, "request_mapping": {"body": {"q": 1}},
                   "response_mapping": {"extract": "data.items[0]", "normalize": "none"},
                   "timeout_seconds": 10, "auth_secret": "top-secret"},
    }
    body.update(overrides)
    return body
