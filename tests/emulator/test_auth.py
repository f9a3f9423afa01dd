"""OAuth2 client credentials, token expiry, scopes and workspaces."""

from __future__ import annotations

import base64

import pytest
from fakes import FakeClock

from .conftest import Api, Authed

TOKEN = "/api/v1/auth/oauth/token"


def _form(**fields: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", **fields}


def test_token_grants_requested_scopes(api: Api) -> None:
    answer = api.request("POST", TOKEN, data=_form(
        client_id="admin", client_secret="admin-secret", scope="cognigy:platform:read"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "cognigy:platform:read"
    assert answer.headers["Cache-Control"] == "no-store"


def test_token_without_scope_grants_all_of_the_clients(api: Api) -> None:
    answer = api.request("POST", TOKEN, data=_form(client_id="reader",
                                                   client_secret="reader-secret"))
    assert answer.json()["scope"] == "cognigy:platform:read"


def test_token_accepts_http_basic_credentials(api: Api) -> None:
    basic = base64.b64encode(b"reader:reader-secret").decode()
    answer = api.request("POST", TOKEN, data=_form(), headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (_form(client_id="admin", client_secret="wrong"), 401, "invalid_client"),
        (_form(client_id="nobody", client_secret="x"), 401, "invalid_client"),
        (_form(client_id="reader", client_secret="reader-secret",
               scope="cognigy:slots:write"), 400, "invalid_scope"),
        ({"grant_type": "password", "client_id": "admin", "client_secret": "admin-secret"},
         400, "unsupported_grant_type"),
    ],
)
def test_token_refusals(api: Api, form: dict[str, str], status: int, error: str) -> None:
    answer = api.request("POST", TOKEN, data=form)
    assert answer.status_code == status
    assert answer.json()["error"] == error


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing Authorization header"),
        ({"Authorization": "Token abc"}, "malformed"),
        ({"Authorization": "Bearer"}, "malformed"),
        ({"Authorization": "Bearer not-a-token"}, "unknown token"),
    ],
)
def test_unauthorized_requests(api: Api, headers: dict[str, str], message: str) -> None:
    answer = api.request("GET", "/api/v1/bots", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"
    assert message in answer.json()["message"]
    assert "X-RateLimit-Limit" in answer.headers


def test_tokens_expire_by_the_clock(api: Api, clock: FakeClock) -> None:
    authed = api.as_client("admin")
    assert authed.get("/api/v1/bots").status_code == 200
    clock.advance(3599)
    assert authed.get("/api/v1/bots").status_code == 200
    clock.advance(1)
    answer = authed.get("/api/v1/bots")
    assert answer.status_code == 401
    assert "expired" in answer.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("PUT", "/api/v1/slots/s1", "cognigy:slots:write"),
        ("DELETE", "/api/v1/integrations/int_x", "cognigy:integrations:write"),
        ("POST", "/api/v1/bots/bot_support/nlp/retrain", "cognigy:nlp:retrain"),
        ("PATCH", "/api/v1/bots/bot_support/context", "context:write"),
        ("GET", "/api/v1/context/conv_1", "conversation:read"),
        ("POST", "/api/bot/simulate", "simulation:execute"),
        ("GET", "/api/v2/botsessions/sess_1/variables", "session:read variable:read"),
    ],
)
def test_every_endpoint_checks_its_scope(
    reader: Authed, method: str, path: str, scope: str
) -> None:
    answer = reader.request(method, path, json={})
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    assert answer.json()["scope"] == scope
    assert scope in answer.json()["message"]


def test_reads_need_the_platform_read_scope(api: Api) -> None:
    authed = api.as_client("admin", scope="conversation:read")
    answer = authed.get("/api/v1/bots")
    assert answer.status_code == 403
    assert answer.json()["scope"] == "cognigy:platform:read"
    assert authed.get("/api/v1/context/conv_1").status_code == 200


def test_session_variables_need_both_scopes(api: Api) -> None:
    authed = api.as_client("admin", scope="cognigy:platform:read session:read")
    answer = authed.get("/api/v2/botsessions/sess_1/variables")
    assert answer.status_code == 403
    assert answer.json()["scope"] == "variable:read"


def test_clients_see_only_their_workspace(api: Api) -> None:
    other = api.as_client("other")
    assert [b["botId"] for b in other.get("/api/v1/bots").json()["data"]] == ["bot_other"]
    for path in ("/api/v1/bots/bot_support", "/api/v1/slots?botId=bot_support",
                 "/api/v1/slots/slot_bot_support_zip_code", "/api/v1/bots/bot_support/context",
                 "/api/bot/entities?botId=bot_support"):
        answer = other.get(path)
        assert answer.status_code == 403, path
        assert answer.json()["error"] == "forbidden"
    assert other.get("/api/v1/integrations").json()["total"] == 0


def test_unknown_bot_is_not_found(admin: Authed) -> None:
    answer = admin.get("/api/v1/bots/bot_nope")
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
