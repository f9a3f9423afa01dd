"""Cross-cutting conventions: auth, RFC 7807 errors, list pages, meta, limits, admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fakes import FakeClock

from reconciler.emulator.cognigy_ai import TenantState, create_app

from .conftest import FLOW, PROJECT, USER, Api

HEX24 = re.compile(r"^[0-9a-f]{24}$")


@pytest.mark.parametrize(("headers", "query"), [({}, ""), ({"X-API-Key": "wrong"}, ""),
                                           ({}, "?api_key=wrong")])
def test_a_missing_or_bad_key_is_401_rfc7807(app: Any, headers: dict[str, str],
                                             query: str) -> None:
    answer = Api(app, key=None).request("GET", "/new/v2.0/projects" + query, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == 401
    assert body["status"] == 401
    assert body["type"] == "about:blank"
    assert body["instance"] == "/new/v2.0/projects"
    assert body["traceId"].startswith("api--")


def test_the_key_may_come_as_query_parameter_and_both_prefixes_serve(app: Any) -> None:
    api = Api(app, key=None)
    assert api.request("GET", "/v2.0/users/me?api_key=demo-api-key").json()["_id"] == USER
    assert api.request("GET", "/new/v2.0/users/me",
                       headers={"x-api-key": "colleague-api-key"}).json()["name"] == "Colleague"


def test_a_bad_key_can_be_configured_to_answer_500(state: TenantState, clock: FakeClock) -> None:
    state.settings.unauthorizedStatus = 500
    answer = Api(create_app(state, clock=clock), key="nope").get("/projects")
    assert answer.status_code == 500
    assert answer.json()["code"] == 1008


def test_unknown_ids_are_404_code_1002(api: Api) -> None:
    for path in ("/flows/65f0c0ffee0000000000ffff", f"/flows/{FLOW}/slotfillers/x",
                 "/lexicons/x", "/tasks/x", "/playbooks/x", "/snapshots/x", "/profiles/x"):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == 1002, path


def _flow(api: Api, name: str) -> dict[str, Any]:
    answer = api.post("/flows", json={"projectId": PROJECT, "name": name})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_lists_page_sort_filter_and_cap_the_limit(api: Api) -> None:
    for n in range(105):
        _flow(api, f"flow-{n:03d}")
    page = api.get(f"/flows?projectId={PROJECT}&limit=500").json()
    assert set(page) == {"items", "total", "nextCursor", "previousCursor"}
    assert len(page["items"]) == 100
    assert page["total"] == 106
    rest = api.get(f"/flows?projectId={PROJECT}&limit=100&next={page['nextCursor']}").json()
    assert len(rest["items"]) == 6
    assert rest["nextCursor"] is None
    assert rest["previousCursor"]
    first = api.get(f"/flows?projectId={PROJECT}&sort=name:desc&limit=2").json()["items"]
    assert [f["name"] for f in first] == ["flow-104", "flow-103"]
    skipped = api.get(f"/flows?projectId={PROJECT}&sort=name:asc&skip=1&limit=1").json()
    assert skipped["items"][0]["name"] == "flow-000"  # "Main" sorts first
    assert api.get(f"/flows?projectId={PROJECT}&filter=FLOW-10").json()["total"] == 5
    ref = first[0]["referenceId"]
    assert api.get(f"/flows?referenceId={ref}").json()["items"][0]["name"] == "flow-104"
    assert api.get("/flows?sort=name:sideways").json()["code"] == 1005


def test_entities_carry_meta_and_patch_moves_last_changed(api: Api, clock: FakeClock) -> None:
    flow = _flow(api, "meta")
    assert HEX24.match(flow["_id"])
    assert flow["createdBy"] == USER == flow["lastChangedBy"]
    assert flow["createdAt"] == flow["lastChanged"] == int(clock.now)
    before = flow["lastChanged"]
    for _ in range(2):  # the same clock second: lastChanged still moves
        answer = api.patch(f"/flows/{flow['_id']}", json={"context": {"a": 1}})
        assert answer.status_code == 200
        assert answer.json() == {}
    after = api.get(f"/flows/{flow['_id']}").json()
    assert after["lastChanged"] == before + 2
    assert after["context"] == {"a": 1}
    other = Api(api.transport.app, key="colleague-api-key")
    other.patch(f"/flows/{flow['_id']}", json={"description": "x"})
    assert api.get(f"/flows/{flow['_id']}").json()["lastChangedBy"] == "65f0c0ffee0000000000e002"
    assert api.delete(f"/flows/{flow['_id']}").status_code == 204
    assert api.get(f"/flows/{flow['_id']}").status_code == 404


def test_bodies_over_60_kb_are_413_and_contexts_over_the_limit_400(api: Api) -> None:
    big = api.patch(f"/flows/{FLOW}", json={"context": {"x": "y" * 70_000}})
    assert big.status_code == 413
    assert big.json()["code"] == 413
    state = api.transport.app.state.emulator.state  # type: ignore[attr-defined]
    state.settings.contextLimitBytes = 1000
    over = api.patch(f"/flows/{FLOW}", json={"context": {"x": "y" * 2000}})
    assert over.status_code == 400
    assert "limit" in over.json()["detail"]


def test_rate_limit_per_client_address_with_retry_after(state: TenantState,
                                                        clock: FakeClock) -> None:
    state.settings.rateLimitRequests = 3
    app = create_app(state, clock=clock)
    one, two = Api(app, peer="127.0.0.1"), Api(app, peer="127.0.0.2")
    assert [one.get("/users/me").status_code for _ in range(3)] == [200] * 3
    refused = one.get("/users/me")
    assert refused.status_code == 429
    assert refused.json()["code"] == 429
    assert int(refused.headers["Retry-After"]) == 300
    assert two.get("/users/me").status_code == 200
    clock.advance(300)
    assert one.get("/users/me").status_code == 200


def test_admin_log_faults_commit_then_503_reset(api: Api) -> None:
    admin = api.transport.app
    raw = Api(admin, key=None)
    raw.request("DELETE", "/_emulator/requests")
    faults = raw.request("PUT", "/_emulator/faults", json={"sequence": ["commit-then-503",
                                                                       "500"]})
    assert faults.status_code == 200
    lost = api.post("/flows", json={"projectId": PROJECT, "name": "lost-answer"})
    assert lost.status_code == 503
    assert api.get("/flows?filter=lost-answer").status_code == 500
    assert api.get("/flows?filter=lost-answer").json()["total"] == 1  # it was created
    log = raw.request("GET", "/_emulator/requests").json()
    assert [(e["method"], e["status"], e["fault"], e["client"]) for e in log] == [
        ("POST", 503, "commit-then-503", "127.0.0.1"), ("GET", 500, "500", "127.0.0.1"),
        ("GET", 200, None, "127.0.0.1")]
    assert raw.request("POST", "/_emulator/reset").status_code == 204
    assert api.get("/flows?filter=lost-answer").json()["total"] == 0
    assert Api(admin, key=None, peer="10.0.0.8").request(
        "GET", "/_emulator/state").status_code == 403


def test_the_state_survives_a_save_and_load(state: TenantState, api: Api, tmp_path: Any,
                                            clock: FakeClock) -> None:
    flow = _flow(api, "saved")
    path = tmp_path / "state.json"
    state.save(path)
    loaded = TenantState.load(path)
    again = Api(create_app(loaded, clock=clock))
    assert again.get(f"/flows/{flow['_id']}").json()["name"] == "saved"
    loaded.reset()
    assert again.get(f"/flows/{flow['_id']}").status_code == 404
