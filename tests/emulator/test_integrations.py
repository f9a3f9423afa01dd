"""Integrations: CRUD, versions and If-Match, names, validation, write-only secrets,
idempotency keys and pagination."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from .conftest import Api, Authed, integration_body

BASE = "/api/v1/integrations"


def _create(admin: Authed, **overrides: Any) -> dict[str, Any]:
    answer = admin.post(BASE, json=integration_body(**overrides))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_create_get_and_secret_fingerprint(admin: Authed) -> None:
    answer = admin.post(BASE, json=integration_body())
    assert answer.status_code == 201
    created = answer.json()
    assert created["id"].startswith("int_")
    assert answer.headers["ETag"] == f'"{created["version"]}"'
    assert "auth_secret" not in created["config"]
    expected = hashlib.sha256(f"{created['id']}:top-secret".encode()).hexdigest()
    assert created["auth_secret_sha256"] == expected
    fetched = admin.get(f"{BASE}/{created['id']}")
    assert fetched.json() == created
    assert fetched.headers["ETag"] == answer.headers["ETag"]


def test_fingerprint_is_null_without_secret(admin: Authed) -> None:
    body = integration_body()
    del body["config"]["auth_secret"]
    answer = admin.post(BASE, json=body)
    assert answer.json()["auth_secret_sha256"] is None


def test_put_keeps_the_secret_unless_given_and_bumps_the_version(admin: Authed) -> None:
    created = _create(admin)
    body = integration_body(description="changed")
    del body["config"]["auth_secret"]
    replaced = admin.put(f"{BASE}/{created['id']}", json=body,
                         headers={"If-Match": f'"{created["version"]}"'})
    assert replaced.status_code == 200
    assert replaced.json()["description"] == "changed"
    assert replaced.json()["auth_secret_sha256"] == created["auth_secret_sha256"]
    assert replaced.json()["version"] != created["version"]
    assert replaced.json()["created_at"] == created["created_at"]
    body["config"]["auth_secret"] = None
    cleared = admin.put(f"{BASE}/{created['id']}", json=body)
    assert cleared.json()["auth_secret_sha256"] is None


def test_stale_if_match_is_a_version_conflict(admin: Authed) -> None:
    created = _create(admin)
    admin.put(f"{BASE}/{created['id']}", json=integration_body(description="v2"))
    stale = admin.put(f"{BASE}/{created['id']}", json=integration_body(description="v3"),
                      headers={"If-Match": f'"{created["version"]}"'})
    assert stale.status_code == 409
    current = admin.get(f"{BASE}/{created['id']}").json()["version"]
    assert stale.json() | {"currentVersion": current} == stale.json()
    assert stale.json()["error"] == "version_conflict"
    deleted = admin.delete(f"{BASE}/{created['id']}", headers={"If-Match": created["version"]})
    assert deleted.status_code == 409
    assert admin.delete(f"{BASE}/{created['id']}", headers={"If-Match": current}).status_code \
        == 204
    assert admin.get(f"{BASE}/{created['id']}").status_code == 404


def test_names_are_unique_per_bot(admin: Authed) -> None:
    first = _create(admin)
    again = admin.post(BASE, json=integration_body())
    assert again.status_code == 409
    assert again.json()["error"] == "name_conflict"
    assert again.json()["id"] == first["id"]
    other = _create(admin, name="other_name")
    renamed = admin.put(f"{BASE}/{other['id']}", json=integration_body())
    assert renamed.status_code == 409
    assert renamed.json()["id"] == first["id"]


def _config(**changes: Any) -> dict[str, Any]:
    config = dict(integration_body()["config"])
    config.update(changes)
    return config


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"config": _config(url="http://crm.example.com")}, "config.url"),
        ({"config": _config(url="crm.example.com")}, "config.url"),
        ({"config": _config(method="GET")}, "config"),
        ({"config": _config(timeout_seconds=0)}, "config.timeout_seconds"),
        ({"config": _config(timeout_seconds=121)}, "config.timeout_seconds"),
        ({"config": _config(method="TRACE")}, "config.method"),
        ({"config": _config(response_mapping={"extract": "a[", "normalize": "none"})},
         "config.response_mapping.extract"),
        ({"config": _config(surprise=1)}, "config.surprise"),
        ({"name": "ab"}, "name"),
        ({"status": "ON"}, "status"),
        ({"unknown_key": 1}, "unknown_key"),
    ],
)
def test_validation_errors_name_the_field(
    admin: Authed, overrides: dict[str, Any], field: str
) -> None:
    answer = admin.post(BASE, json=integration_body(**overrides))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "validation_error"
    assert field in [d["field"] for d in body["details"]]


def test_timeout_bounds_are_inclusive(admin: Authed) -> None:
    _create(admin, name="fast", config=_config(timeout_seconds=1))
    _create(admin, name="slow", config=_config(timeout_seconds=120))


def test_read_only_keys_echoed_back_are_ignored(admin: Authed) -> None:
    created = _create(admin)
    echoed = {**created, "config": {**created["config"]}, "description": "echo"}
    answer = admin.put(f"{BASE}/{created['id']}", json=echoed)
    assert answer.status_code == 200, answer.text
    assert answer.json()["auth_secret_sha256"] == created["auth_secret_sha256"]


def test_idempotency_key_replays_the_first_result(api: Api, admin: Authed) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = admin.post(BASE, json=integration_body(), headers=headers)
    second = admin.post(BASE, json=integration_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    listed = admin.get(f"{BASE}?botId=bot_support").json()
    assert [i["name"] for i in listed["data"]].count("crm_lookup") == 1
    other = admin.post(BASE, json=integration_body(description="other"), headers=headers)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"


def test_pagination(admin: Authed) -> None:
    for index in range(30):
        _create(admin, name=f"integration_{index:02d}")
    first = admin.get(f"{BASE}?botId=bot_support").json()
    assert (first["total"], first["limit"], first["offset"], len(first["data"])) == (31, 25, 0, 25)
    rest = admin.get(f"{BASE}?botId=bot_support&limit=25&offset=25").json()
    assert len(rest["data"]) == 6
    ids = [i["id"] for i in first["data"] + rest["data"]]
    assert len(set(ids)) == 31
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=x", "limit=", "limit=1&limit=2"):
        answer = admin.get(f"{BASE}?{bad}")
        assert answer.status_code == 400, bad
        assert answer.json()["error"] == "validation_error"
