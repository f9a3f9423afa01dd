"""One hostile request never breaks the emulator: every answer is the contract's JSON, the
state stays readable, and every request is rate limited, counted and logged."""

from __future__ import annotations

import email.utils
import json

import pytest
from fakes import FakeClock

from reconciler.emulator.platform import TenantState, auth, create_app

from .conftest import Api, Authed

DEFAULTS = "/api/v1/bots/bot_support/context"


def _strict(text: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"{name} in an answer")

    return json.loads(text, parse_constant=refuse)


def _state_is_readable(api: Api, admin: Authed) -> None:
    assert admin.get(DEFAULTS).status_code == 200
    _strict(admin.get(DEFAULTS).text)
    state = api.request("GET", "/_emulator/state")
    assert state.status_code == 200
    _strict(state.text)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000])
def test_a_non_finite_number_is_refused_and_never_stored(api: Api, admin: Authed,
                                                         number: str) -> None:
    body = '{"context": {"tier": {"value": ' + number + ', "scope": "global"}}}'
    answer = admin.patch(DEFAULTS, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "validation_error"
    assert answer.json()["details"][0]["field"] == "(body)"
    assert "tier" not in admin.get(DEFAULTS).json()["context"]
    _state_is_readable(api, admin)


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deeply_nested_json_is_a_json_400(api: Api, admin: Authed, depth: int) -> None:
    body = '{"context": {"tier": {"value": ' + "[" * depth + "]" * depth + ', "scope": "global"}}}'
    answer = admin.patch(DEFAULTS, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    assert "nesting deeper than" in answer.json()["details"][0]["message"]
    _state_is_readable(api, admin)


@pytest.mark.parametrize("key", ["tier\n", "tier ", "ti-er", "", "tïer"])
def test_context_keys_follow_the_key_rule_exactly(admin: Authed, key: str) -> None:
    answer = admin.patch(DEFAULTS, json={"context": {key: {"value": 1, "scope": "global"}}})
    assert answer.status_code == 400
    assert answer.json()["details"][0]["field"] == f"context.{key}"
    assert key not in admin.get(DEFAULTS).json()["context"]


def test_a_weak_etag_never_satisfies_if_match(admin: Authed) -> None:
    current = admin.get(DEFAULTS).json()["contextVersion"]
    change = {"context": {"tier": {"value": 1, "scope": "global"}}}
    weak = admin.patch(DEFAULTS, headers={"If-Match": f'W/"{current}"'}, json=change)
    assert weak.status_code == 409
    assert weak.json()["currentVersion"] == current
    assert "tier" not in admin.get(DEFAULTS).json()["context"]
    strong = admin.patch(DEFAULTS, headers={"If-Match": f'"{current}"'}, json=change)
    assert strong.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/nothing-here", 404, "not_found"),
        ("POST", "/", 404, "not_found"),
        ("DELETE", "/api/v1/bots", 405, "method_not_allowed"),
        ("PATCH", "/api/v1/slots", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_methods_go_through_the_pipeline(
    state: TenantState, clock: FakeClock, method: str, path: str, status: int, code: str
) -> None:
    state.settings.rateLimitPerMinute = 3
    api = Api(create_app(state, clock=clock))
    admin = api.as_client("admin")  # the token request counts: 2 left
    api.request("DELETE", "/_emulator/requests")
    first = admin.request(method, path, content=b"{not json")
    assert first.status_code == status
    assert first.json()["error"] == code
    assert first.headers["X-RateLimit-Limit"] == "3"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert "X-RateLimit-Reset" in first.headers
    if status == 405:
        assert first.headers["Allow"]
    assert api.request(method, path).status_code == status  # anonymous: its own budget
    admin.request(method, path)
    limited = admin.request(method, path)
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    logged = api.request("GET", "/_emulator/requests").json()
    assert [(e["method"], e["path"], e["status"]) for e in logged] == [
        (method, path, status), (method, path, status), (method, path, status),
        (method, path, 429),
    ]


@pytest.mark.parametrize("path", [auth.TOKEN_PATH, *auth.TOKEN_PATH_ALIASES])
def test_the_tutorials_token_paths_are_aliases(api: Api, path: str) -> None:
    answer = api.request("POST", path, data={
        "grant_type": "client_credentials", "client_id": "admin",
        "client_secret": "admin-secret", "scope": "cognigy:platform:read"})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    bots = api.request("GET", "/api/v1/bots", headers={"Authorization": f"Bearer {token}"})
    assert bots.status_code == 200


@pytest.mark.parametrize(
    ("asked", "granted"),
    [
        ("bot:read session:read variable:read",
         "cognigy:platform:read session:read variable:read"),
        ("cognigy:slots:write cognigy:nlp:retrain cognigy:bots:read",
         "cognigy:slots:write cognigy:nlp:retrain cognigy:platform:read"),
        ("cognigy:platform:read cognigy:integrations:write cognigy:webhooks:manage",
         "cognigy:platform:read cognigy:integrations:write"),
        ("bot:read simulation:execute bot:write", "cognigy:platform:read simulation:execute"),
    ],
)
def test_the_tutorials_scope_names_are_aliases(api: Api, asked: str, granted: str) -> None:
    answer = api.request("POST", "/api/v1/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "admin",
        "client_secret": "admin-secret", "scope": asked})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scope"] == granted


def test_an_alias_of_a_scope_the_client_may_not_have_is_refused(api: Api) -> None:
    answer = api.request("POST", "/api/v1/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "reader",
        "client_secret": "reader-secret", "scope": "bot:read cognigy:bots:read"})
    assert answer.status_code == 200  # the reader may read: granted by the contract's name
    assert answer.json()["scope"] == "cognigy:platform:read"
    refused = api.request("POST", "/api/v1/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "reader",
        "client_secret": "reader-secret", "scope": "cognigy:slots:write"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_in_the_form_the_fixture_asks_for(state: TenantState, clock: FakeClock,
                                                      form: str) -> None:
    state.settings.rateLimitPerMinute = 1
    state.settings.retryAfter = form  # type: ignore[assignment]
    api = Api(create_app(state, clock=clock))
    api.request("POST", "/api/v1/auth/oauth/token", data={"grant_type": "client_credentials"})
    limited = api.request("POST", "/api/v1/auth/oauth/token",
                          data={"grant_type": "client_credentials"})
    assert limited.status_code == 429
    value = limited.headers["Retry-After"]
    if form == "seconds":
        assert value.isdigit()
    else:
        when = email.utils.parsedate_to_datetime(value)
        assert when.tzinfo is not None
        assert 0 < when.timestamp() - clock.now <= 61
