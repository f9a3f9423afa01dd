"""Per-client rate limits with fixed and sliding windows, read from the clock."""

from __future__ import annotations

import pytest

from reconciler.emulator.platform import TenantState, create_app

from .conftest import Api, Authed, FakeClock


def _client(state: TenantState, clock: FakeClock, window: str, limit: int = 5) -> tuple[Api, Authed]:
    state.settings.rateLimitPerMinute = limit
    state.settings.rateLimitWindow = window  # type: ignore[assignment]
    api = Api(create_app(state, clock=clock))
    return api, api.as_client("admin")  # the token request counts for the client too


def test_fixed_window(state: TenantState, clock: FakeClock) -> None:
    clock.now = 6_000.0  # the start of a minute
    _, admin = _client(state, clock, "fixed")
    remaining = [admin.get("/api/v1/bots").headers["X-RateLimit-Remaining"] for _ in range(4)]
    assert remaining == ["3", "2", "1", "0"]  # the token request counted too
    clock.advance(20)
    refused = admin.get("/api/v1/bots")
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert refused.headers["Retry-After"] == "40"
    assert refused.headers["X-RateLimit-Limit"] == "5"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == "40"
    clock.advance(40)
    assert admin.get("/api/v1/bots").status_code == 200


def test_sliding_window(state: TenantState, clock: FakeClock) -> None:
    clock.now = 6_000.0
    _, admin = _client(state, clock, "sliding")
    for _ in range(3):
        assert admin.get("/api/v1/bots").status_code == 200
    clock.advance(30)
    assert admin.get("/api/v1/bots").status_code == 200
    refused = admin.get("/api/v1/bots")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"  # the first request leaves the window then
    clock.advance(30)  # the four requests at 6000 left the window, the one at 6030 did not
    for _ in range(4):
        assert admin.get("/api/v1/bots").status_code == 200
    assert admin.get("/api/v1/bots").status_code == 429


def test_limits_are_per_client(state: TenantState, clock: FakeClock) -> None:
    api, admin = _client(state, clock, "fixed", limit=2)
    admin.get("/api/v1/bots")
    assert admin.get("/api/v1/bots").status_code == 429
    assert api.as_client("reader").get("/api/v1/bots").status_code == 200


@pytest.mark.parametrize("path", ["/_emulator/requests", "/_emulator/state"])
def test_admin_requests_are_not_limited(state: TenantState, clock: FakeClock, path: str) -> None:
    api, _ = _client(state, clock, "fixed", limit=1)
    for _ in range(3):
        assert api.request("GET", path).status_code == 200
