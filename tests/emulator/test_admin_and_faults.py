"""Admin endpoints (loopback only) and injected faults, in-process and over uvicorn."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler.emulator.platform import ConnectionDropped, TenantState, create_app, serving

from .conftest import Api, Authed, FakeClock, integration_body


def _faults(api: Api, **body: object) -> None:
    answer = api.request("PUT", "/_emulator/faults", json=body)
    assert answer.status_code == 200, answer.text


def test_admin_refuses_other_peers(state: TenantState, clock: FakeClock) -> None:
    remote = Api(create_app(state, clock=clock), peer="10.1.2.3")
    for method, path in [("GET", "/_emulator/requests"), ("PUT", "/_emulator/faults"),
                         ("POST", "/_emulator/reset"), ("GET", "/_emulator/state"),
                         ("DELETE", "/_emulator/requests")]:
        answer = remote.request(method, path, json={})
        assert answer.status_code == 403, path
        assert answer.json()["error"] == "forbidden"


def test_request_log_entries(api: Api, admin: Authed) -> None:
    admin.post("/api/v1/integrations", json=integration_body(), headers={"Idempotency-Key": "k"})
    log = api.request("GET", "/_emulator/requests").json()
    assert [e["path"] for e in log] == ["/api/v1/auth/oauth/token", "/api/v1/integrations"]
    entry = log[-1]
    assert set(entry) == {"ts", "method", "path", "status", "clientId", "idempotencyKey",
                          "fault"}
    assert (entry["method"], entry["status"], entry["clientId"], entry["idempotencyKey"],
            entry["fault"]) == ("POST", 201, "admin", "k", None)
    assert log[0]["clientId"] == "admin"
    assert api.request("DELETE", "/_emulator/requests").status_code == 204
    assert api.request("GET", "/_emulator/requests").json() == []


def test_fault_sequence_is_applied_in_order(api: Api, admin: Authed) -> None:
    _faults(api, sequence=["429", "503", None, "500"])
    statuses = [admin.get("/api/v1/bots").status_code for _ in range(5)]
    assert statuses == [429, 503, 200, 500, 200]
    log = api.request("GET", "/_emulator/requests").json()
    assert [e["fault"] for e in log[-5:]] == ["429", "503", None, "500", None]


def test_injected_429_carries_retry_after(api: Api, admin: Authed) -> None:
    _faults(api, sequence=["429"])
    answer = admin.get("/api/v1/bots")
    assert answer.headers["Retry-After"] == "1"
    assert "X-RateLimit-Remaining" in answer.headers


def test_random_faults_replay_with_the_seed(state: TenantState, clock: FakeClock) -> None:
    runs = []
    for _ in range(2):
        api = Api(create_app(TenantState.from_fixture_model(state.fixture, source="t"),
                             clock=clock))
        admin = api.as_client()
        _faults(api, rate=0.5, kinds=["500", "503"], seed=7)
        runs.append([admin.get("/api/v1/bots").status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert {200, 500, 503} <= set(runs[0])
    api.request("PUT", "/_emulator/faults", json={})
    assert all(admin.get("/api/v1/bots").status_code == 200 for _ in range(10))


def test_commit_then_503_performs_the_write(api: Api, admin: Authed) -> None:
    _faults(api, sequence=["commit-then-503"])
    key = {"Idempotency-Key": "create-1"}
    lost = admin.post("/api/v1/integrations", json=integration_body(), headers=key)
    assert lost.status_code == 503
    listed = admin.get("/api/v1/integrations?botId=bot_support").json()["data"]
    assert "crm_lookup" in [i["name"] for i in listed]
    retried = admin.post("/api/v1/integrations", json=integration_body(), headers=key)
    assert retried.status_code == 201
    assert retried.json()["id"] == next(i["id"] for i in listed if i["name"] == "crm_lookup")


def test_timeout_holds_the_answer(api: Api, admin: Authed) -> None:
    _faults(api, sequence=["timeout"], timeoutSeconds=0.2)
    started = time.monotonic()
    answer = admin.post("/api/v1/integrations", json=integration_body())
    assert time.monotonic() - started >= 0.2
    assert answer.status_code == 504
    assert admin.get("/api/v1/integrations?botId=bot_support").json()["total"] == 1


def test_reset_in_process_raises_connection_dropped(api: Api, admin: Authed) -> None:
    _faults(api, sequence=["reset"])
    with pytest.raises(ConnectionDropped):
        admin.get("/api/v1/bots")
    assert api.request("GET", "/_emulator/requests").json()[-1]["status"] is None


def test_reset_over_http_drops_the_connection(state: TenantState) -> None:
    with serving.serve_in_thread(create_app(state)) as handle:
        token = httpx.post(f"{handle.url}/api/v1/auth/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "admin",
            "client_secret": "admin-secret"}).json()["access_token"]
        httpx.put(f"{handle.url}/_emulator/faults", json={"sequence": ["reset"]})
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{handle.url}/api/v1/bots", headers={"Authorization": f"Bearer {token}"})
        answer = httpx.get(f"{handle.url}/api/v1/bots",
                           headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200


def test_bad_fault_bodies(api: Api) -> None:
    assert api.request("PUT", "/_emulator/faults", json={"kinds": ["418"]}).status_code == 400
    assert api.request("PUT", "/_emulator/faults", json={"rate": 2}).status_code == 400
    assert api.request("PUT", "/_emulator/faults", content=b"{").status_code == 400


def test_reset_goes_back_to_the_fixture(api: Api, admin: Authed) -> None:
    admin.post("/api/v1/integrations", json=integration_body())
    admin.delete("/api/v1/slots/slot_bot_support_zip_code")
    assert api.request("POST", "/_emulator/reset").status_code == 204
    names = [i["name"] for i in admin.get("/api/v1/integrations").json()["data"]]
    assert names == ["legacy_crm"]
    assert admin.get("/api/v1/slots/slot_bot_support_zip_code").status_code == 200


def test_state_endpoint(api: Api, admin: Authed) -> None:
    admin.post("/api/v1/integrations", json=integration_body())
    dumped = api.request("GET", "/_emulator/state").json()
    assert TenantState.model_validate(dumped).integrations.keys() == dumped["integrations"].keys()
    assert len(dumped["integrations"]) == 2
