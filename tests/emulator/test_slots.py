"""Slots: upsert semantics, preconditions, validation, dependencies, retrain triggers."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, Authed, slot_body

BASE = "/api/v1/slots"


def test_upsert_creates_then_replaces(admin: Authed) -> None:
    created = admin.put(f"{BASE}/s1", json=slot_body())
    assert created.status_code == 201
    assert created.json()["slotId"] == "s1"
    assert created.headers["ETag"] == f'"{created.json()["version"]}"'
    assert "X-Retrain-Job" not in created.headers
    replaced = admin.put(f"{BASE}/s1", json=slot_body(patterns=["ORD-[0-9]+"]))
    assert replaced.status_code == 200
    assert replaced.json()["patterns"] == ["ORD-[0-9]+"]
    assert replaced.json()["version"] != created.json()["version"]
    assert admin.get(f"{BASE}/s1").json() == replaced.json()


def test_create_only_and_if_match(admin: Authed) -> None:
    created = admin.put(f"{BASE}/s1", json=slot_body(), headers={"If-None-Match": "*"})
    assert created.status_code == 201
    again = admin.put(f"{BASE}/s1", json=slot_body(), headers={"If-None-Match": "*"})
    assert again.status_code == 409
    assert again.json()["error"] == "already_exists"
    stale = admin.put(f"{BASE}/s1", json=slot_body(), headers={"If-Match": '"0"'})
    assert stale.status_code == 409
    assert stale.json()["currentVersion"] == created.json()["version"]
    fresh = admin.put(f"{BASE}/s1", json=slot_body(),
                      headers={"If-Match": created.headers["ETag"]})
    assert fresh.status_code == 200


def test_if_match_on_a_missing_slot_conflicts(admin: Authed) -> None:
    answer = admin.put(f"{BASE}/s1", json=slot_body(), headers={"If-Match": '"3"'})
    assert answer.status_code == 409
    assert answer.json()["currentVersion"] is None
    assert admin.get(f"{BASE}/s1").status_code == 404


def test_slot_names_are_unique_per_bot(admin: Authed) -> None:
    admin.put(f"{BASE}/s1", json=slot_body())
    clash = admin.put(f"{BASE}/s2", json=slot_body())
    assert clash.status_code == 409
    assert clash.json() | {"error": "name_conflict", "id": "s1"} == clash.json()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"patterns": ["x" * 51]}, "at most 50"),
        ({"patterns": ["(unclosed"]}, "does not compile"),
        ({"patterns": []}, "patterns"),
        ({"fillStrategy": "longest"}, "fillStrategy"),
        ({"type": "fuzzy"}, "type"),
        ({"dependencies": ["no_such_slot"]}, "not a slot of bot"),
        ({"dependencies": ["slot_bot_support_zip_code", "s1"]}, "dependency cycle"),
        ({"labels": {"a": 1}}, "labels"),
    ],
)
def test_slot_validation(admin: Authed, overrides: dict[str, Any], needle: str) -> None:
    answer = admin.put(f"{BASE}/s1", json=slot_body(**overrides))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "validation_error"
    assert needle in answer.text


def test_fifty_characters_are_allowed(admin: Authed) -> None:
    assert admin.put(f"{BASE}/s1", json=slot_body(patterns=["x" * 50])).status_code == 201


def test_keyphrase_patterns_need_not_be_regexes(admin: Authed) -> None:
    answer = admin.put(f"{BASE}/s1", json=slot_body(type="keyphrase", patterns=["(c) plan"]))
    assert answer.status_code == 201


def test_dependencies_must_be_of_the_same_bot_and_acyclic(admin: Authed, state: Any) -> None:
    assert admin.put(f"{BASE}/a", json=slot_body("a")).status_code == 201
    assert admin.put(f"{BASE}/b", json=slot_body("b", dependencies=["a"])).status_code == 201
    cycle = admin.put(f"{BASE}/a", json=slot_body("a", dependencies=["b"]))
    assert cycle.status_code == 400
    assert "a -> b -> a" in cycle.json()["message"]
    assert admin.put(f"{BASE}/c", json=slot_body("c", dependencies=["c"])).status_code == 400
    state.slots["foreign"] = state.slots["a"].model_copy(
        update={"slotId": "foreign", "botId": "bot_other", "name": "foreign"})
    foreign = admin.put(f"{BASE}/d", json=slot_body("d", dependencies=["foreign"]))
    assert foreign.status_code == 400


def test_delete_refuses_while_others_depend(admin: Authed) -> None:
    admin.put(f"{BASE}/a", json=slot_body("a"))
    admin.put(f"{BASE}/b", json=slot_body("b", dependencies=["a"]))
    refused = admin.delete(f"{BASE}/a")
    assert refused.status_code == 409
    assert refused.json()["error"] == "dependency_conflict"
    assert refused.json()["dependents"] == ["b"]
    assert admin.delete(f"{BASE}/b").status_code == 204
    assert admin.delete(f"{BASE}/a").status_code == 204
    assert admin.get(f"{BASE}/a").status_code == 404


def test_trigger_retrain_starts_or_joins_one_job(admin: Authed) -> None:
    first = admin.put(f"{BASE}/a", json=slot_body("a", triggerRetrain=True))
    second = admin.put(f"{BASE}/b", json=slot_body("b", triggerRetrain=True))
    job = first.headers["X-Retrain-Job"]
    assert job.startswith("job_")
    assert second.headers["X-Retrain-Job"] == job
    posted = admin.post("/api/v1/bots/bot_support/nlp/retrain")
    assert posted.status_code == 202
    assert posted.json() == {"jobId": job, "status": "queued"}


def test_trigger_retrain_needs_the_retrain_scope(api: Api) -> None:
    writer = api.as_client("admin", scope="cognigy:platform:read cognigy:slots:write")
    answer = writer.put(f"{BASE}/a", json=slot_body("a", triggerRetrain=True))
    assert answer.status_code == 403
    assert answer.json()["scope"] == "cognigy:nlp:retrain"
    assert writer.get(f"{BASE}/a").status_code == 404
    assert writer.put(f"{BASE}/a", json=slot_body("a")).status_code == 201


def test_list_is_paginated_and_filtered(admin: Authed) -> None:
    for index in range(5):
        admin.put(f"{BASE}/s{index}", json=slot_body(f"slot_{index}"))
    page = admin.get(f"{BASE}?botId=bot_support&limit=2&offset=2").json()
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 2)
    assert len(page["data"]) == 2
