"""Real behaviour: training tasks on the clock, isTrainingOutOfDate, playbook runs judged
against the flow with JavaScript regexes, snapshots that really restore, sessions, write-only
connection fields, charts and lexicons."""

from __future__ import annotations

from typing import Any

from fakes import FakeClock

from .conftest import FLOW, LOCALE, ORDER_REGEX, PROJECT, Api, wait_task


def _filler(api: Api, name: str = "order_number", regex: str = ORDER_REGEX) -> dict[str, Any]:
    answer = api.post(f"/flows/{FLOW}/slotfillers", json={"name": name, "type": "regex",
                                                          "regex": regex})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_training_is_a_task_that_takes_its_time(api: Api, clock: FakeClock) -> None:
    _filler(api)
    assert api.get(f"/flows/{FLOW}").json()["isTrainingOutOfDate"] is True
    task = api.post(f"/flows/{FLOW}/intents/train", json={"localeId": LOCALE, "mode": "full"})
    assert task.status_code == 202
    assert task.json()["status"] == "queued"
    task_id = task.json()["_id"]
    seen = []
    for _ in range(8):
        seen.append(api.get(f"/tasks/{task_id}?projectId={PROJECT}").json()["status"])
        clock.advance(0.25)
    assert seen[0] == "queued"
    assert "active" in seen
    assert seen[-1] == "done"
    flow = api.get(f"/flows/{FLOW}?includeFeedbackReport=true").json()
    assert flow["isTrainingOutOfDate"] is False
    info = flow["feedbackReport"]["info"]
    assert 0 < info["accuracy"] <= 1
    assert 0 < info["fScore"] <= 1
    intents = api.get(f"/flows/{FLOW}/intents?includeFeedbackReport=true").json()["items"]
    assert {i["name"] for i in intents} >= {"order_status", "ticket_status"}


def test_a_write_during_training_keeps_the_flow_out_of_date(api: Api, clock: FakeClock) -> None:
    task_id = api.post(f"/flows/{FLOW}/intents/train", json={}).json()["_id"]
    _filler(api, "late")
    assert wait_task(api, clock, task_id)["status"] == "done"
    assert api.get(f"/flows/{FLOW}").json()["isTrainingOutOfDate"] is True


def test_an_invalid_javascript_regex_fails_the_training(api: Api, clock: FakeClock) -> None:
    _filler(api, "broken", "/(?<x/g")
    task_id = api.post(f"/projects/{PROJECT}/trainallflows").json()["_id"]
    task = wait_task(api, clock, task_id)
    assert task["status"] == "error"
    assert "broken" in task["failReason"]


def test_cancel_stops_a_task_before_it_commits(api: Api, clock: FakeClock) -> None:
    task_id = api.post(f"/flows/{FLOW}/intents/train", json={}).json()["_id"]
    assert api.post(f"/tasks/{task_id}/cancel").status_code == 200
    assert wait_task(api, clock, task_id)["status"] == "cancelled"
    assert api.get(f"/flows/{FLOW}").json()["isTrainingOutOfDate"] is True
    assert api.get(f"/tasks?projectId={PROJECT}").json()["total"] == 1


def _playbook(api: Api, steps: list[tuple[str, list[dict[str, Any]]]],
              **extra: Any) -> str:
    playbook = api.post("/playbooks", json={"projectId": PROJECT, "name": "pb", **extra})
    assert playbook.status_code == 201, playbook.text
    pb_id: str = playbook.json()["_id"]
    for text, asserts in steps:
        step = api.post(f"/playbooks/{pb_id}/steps", json={"text": text, "data": {}}).json()
        for item in asserts:
            added = api.post(f"/playbooks/{pb_id}/steps/{step['_id']}/asserts", json=item)
            assert added.status_code == 201, added.text
    return pb_id


def _run(api: Api, clock: FakeClock, pb_id: str) -> dict[str, Any]:
    flow = api.get(f"/flows/{FLOW}").json()
    locale = api.get(f"/locales/{LOCALE}").json()
    scheduled = api.post(f"/playbooks/{pb_id}/schedule", json={
        "entrypoint": PROJECT, "flowId": flow["referenceId"], "localeId": locale["referenceId"]})
    assert scheduled.status_code == 202, scheduled.text
    task = api.get(f"/tasks/{scheduled.json()['_id']}").json()
    run_id = task["data"]["playbookRunId"]
    early = api.get(f"/playbooks/{pb_id}/runs/{run_id}")
    assert early.status_code == 404
    assert early.json()["detail"] == "Playbook run does not exist"
    assert wait_task(api, clock, task["_id"])["status"] == "done"
    run: dict[str, Any] = api.get(f"/playbooks/{pb_id}/runs/{run_id}").json()
    return run


def test_a_playbook_run_is_judged_against_the_flow(api: Api, clock: FakeClock) -> None:
    _filler(api)
    # \d in JavaScript is ASCII only: the Arabic-Indic digits must not match (Python's re
    # would match them).
    _filler(api, "pin", r"/\bPIN\d{4}\b/g")
    pb_id = _playbook(api, [
        ("where is my order ORD-123456", [
            {"type": "assertIntent", "params": {"intent": "order_status", "negate": False}},
            {"type": "assertSlot", "params": {"slot": "order_number", "negate": False}},
            {"type": "assertContext", "params": {"data": {"order_number": "ORD-123456",
                                                          "language": "en"},
                                                 "partial": True, "negate": False}},
            {"type": "assertText", "params": {"text": "STATUS of your order", "fuzzy": True,
                                              "negate": False}},
            {"type": "assertState", "params": {"state": "default", "negate": False}}]),
        ("the pin PIN\u0661\u0662\u0663\u0664", [
            {"type": "assertSlot", "params": {"slot": "pin", "negate": True}},
            {"type": "assertIntent", "params": {"intent": "order_status", "negate": False}}]),
    ])
    run = _run(api, clock, pb_id)
    first, second = run["stepResults"]
    assert first["status"] == "successful", first
    assert [a["status"] for a in first["asserts"]] == ["successful"] * 5
    assert first["asserts"][1]["actual"] == {"slots": {"order_number": "ORD-123456"}}
    assert second["asserts"][0]["status"] == "successful"
    assert second["asserts"][1]["status"] == "failed"
    assert second["status"] == "failed"
    assert run["status"] == "failed"
    runs = api.get(f"/playbooks/{pb_id}/runs").json()
    assert [r["status"] for r in runs["items"]] == ["failed"]


def test_abort_on_error_fails_the_remaining_steps(api: Api, clock: FakeClock) -> None:
    pb_id = _playbook(api, [
        ("hello", [{"type": "assertIntent", "params": {"intent": "order_status"}}]),
        ("where is my order", [{"type": "assertIntent", "params": {"intent": "order_status"}}]),
    ], abortOnError=True)
    run = _run(api, clock, pb_id)
    assert [s["status"] for s in run["stepResults"]] == ["failed", "failed"]
    assert run["stepResults"][1]["asserts"][0]["actual"] == {}


def test_keyphrase_slots_come_from_attached_lexicons(api: Api, clock: FakeClock) -> None:
    lexicon = api.post("/lexicons", json={"projectId": PROJECT, "name": "coupons"}).json()
    slot = api.post(f"/lexicons/{lexicon['_id']}/slots", json={"name": "coupon"}).json()
    entry = api.post(f"/lexicons/{lexicon['_id']}/entries", json={
        "mainKeyphrase": "SPRING10", "keyphrases": [{"value": "spring ten",
                                                     "isMainKeyphrase": False}],
        "slotReferences": [slot["_id"]], "data": "{}"})
    assert entry.status_code == 201
    assert entry.json()["keyphrases"][0]["_id"]
    api.post(f"/flows/{FLOW}/slotfillers", json={"name": "coupon_code", "type": "slot",
                                                 "slot": "coupon"})
    api.post(f"/flows/{FLOW}/intents/train", json={})
    clock.advance(10)
    assert api.get(f"/flows/{FLOW}").json()["isTrainingOutOfDate"] is False
    assert api.patch(f"/flows/{FLOW}", json={"attachedLexicons": [lexicon["_id"]],
                                             "localeId": LOCALE}).json() == {}
    assert api.get(f"/flows/{FLOW}").json()["isTrainingOutOfDate"] is True
    pb_id = _playbook(api, [("use Spring Ten please", [
        {"type": "assertContext", "params": {"data": {"coupon_code": "SPRING10"},
                                             "partial": True}}])])
    assert _run(api, clock, pb_id)["status"] == "successful"
    bad = api.post(f"/lexicons/{lexicon['_id']}/entries", json={
        "mainKeyphrase": "X", "slotReferences": ["65f0c0ffee0000000000ffff"]})
    assert bad.status_code == 404


def test_connection_fields_are_write_only(api: Api) -> None:
    created = api.post("/connections", json={
        "projectId": PROJECT, "name": "crm_api_key", "type": "http_apiKeyXKey",
        "extension": "@cognigy/basic-nodes", "fields": {"authApiKey": "s3cret"}})
    assert created.status_code == 201
    assert created.json()["fields"] == {"authApiKey": "********"}
    ident = created.json()["_id"]
    assert api.patch(f"/connections/{ident}", json={"name": "x"}).status_code == 400
    assert api.patch(f"/connections/{ident}", json={"fields": {"authApiKey": "n3w"}}).json() \
        == {}
    assert "s3cret" not in api.get(f"/connections/{ident}").text
    state = api.transport.app.state.emulator.state  # type: ignore[attr-defined]
    assert state.docs[ident].secret == {"authApiKey": "n3w"}
    schemas = api.get(f"/connections/schemas?projectId={PROJECT}").json()["items"]
    assert {s["type"] for s in schemas} >= {"http_basic", "http_apiKeyXKey"}


def test_chart_nodes_link_and_carry_no_last_changed(api: Api) -> None:
    chart = api.get(f"/flows/{FLOW}/chart").json()
    start = next(n for n in chart["nodes"] if n["type"] == "start")
    node = api.post(f"/flows/{FLOW}/chart/nodes", json={
        "type": "httpRequest", "label": "crm_lookup", "mode": "append", "target": start["_id"],
        "config": {"type": "GET", "url": "https://crm.example.com"}})
    assert node.status_code == 201, node.text
    body = node.json()
    assert "lastChanged" not in body
    assert "createdAt" not in body
    assert body["referenceId"]
    relations = {r["node"]: r for r in api.get(f"/flows/{FLOW}/chart").json()["relations"]}
    assert relations[start["_id"]]["next"] == body["_id"]
    assert api.patch(f"/flows/{FLOW}/chart/nodes/{body['_id']}",
                     json={"type": "code"}).status_code == 400
    api.patch(f"/flows/{FLOW}/chart/nodes/{body['_id']}", json={"isDisabled": True})
    assert api.get(f"/flows/{FLOW}/chart/nodes/{body['_id']}").json()["isDisabled"] is True
    assert api.delete(f"/flows/{FLOW}/chart/nodes/{body['_id']}").status_code == 204
    relations = {r["node"]: r for r in api.get(f"/flows/{FLOW}/chart").json()["relations"]}
    assert relations[start["_id"]]["next"] != body["_id"]


def test_snapshot_restore_replaces_resources_with_new_ids(api: Api, clock: FakeClock) -> None:
    filler = _filler(api)
    original_reference = api.get(f"/flows/{FLOW}").json()["referenceId"]
    task = api.post("/snapshots", json={"projectId": PROJECT, "name": "pre",
                                        "description": "safety"})
    assert task.status_code == 202
    done = wait_task(api, clock, task.json()["_id"])
    snapshot_id = done["data"]["snapshotId"]
    assert api.get(f"/snapshots?projectId={PROJECT}").json()["items"][0]["name"] == "pre"
    api.delete(f"/flows/{FLOW}/slotfillers/{filler['_id']}")
    api.post("/flows", json={"projectId": PROJECT, "name": "after-snapshot"})
    restore = api.post(f"/snapshots/{snapshot_id}/restore")
    wait_task(api, clock, restore.json()["_id"])
    flows = api.get(f"/flows?projectId={PROJECT}").json()["items"]
    assert [f["name"] for f in flows] == ["Main"]
    main = flows[0]
    assert main["_id"] != FLOW
    assert main["referenceId"] == original_reference
    fillers = api.get(f"/flows/{main['_id']}/slotfillers").json()["items"]
    assert [(f["name"], f["referenceId"]) for f in fillers] == [("order_number",
                                                                  filler["referenceId"])]
    assert fillers[0]["_id"] != filler["_id"]
    assert api.get(f"/flows/{FLOW}").status_code == 404


def test_session_context_inject_merges_and_reset_restores_the_default(api: Api) -> None:
    injected = api.post("/sessions/sess_demo_1/context/inject",
                        json={"userId": "user-42", "context": {"order_number": "ORD-1"}})
    assert injected.json() == {"language": "de", "customer_tier": "gold",
                               "order_number": "ORD-1"}
    flow = api.get(f"/flows/{FLOW}").json()
    reset = api.post("/sessions/sess_demo_1/context/reset", json={
        "userId": "user-42", "flowReferenceId": flow["referenceId"], "entrypoint": PROJECT})
    assert reset.json() == {"language": "en"}
    assert api.get("/sessions/sess_demo_1/state").json()["context"] == {"language": "en"}
    too_big = api.post("/sessions/s2/context/inject",
                       json={"userId": "u", "context": {"x": "y" * 59_000, "z": "w" * 8000}})
    assert too_big.status_code in (400, 413)


def test_profiles_and_the_profile_schema(api: Api) -> None:
    profiles = api.get(f"/profiles?projectId={PROJECT}").json()["items"]
    assert profiles[0]["profile"]["firstname"] == "Ann"
    assert api.get(f"/profiles/{profiles[0]['_id']}").json()["contactIds"] == ["user-42"]
    details = [{"field": "Tier", "internal": "customer_tier", "type": "string"}]
    assert api.put(f"/profiles/schema/{PROJECT}", json={"details": details}).json() == {}
    schema = api.get(f"/profiles/schema/{PROJECT}").json()
    assert schema == {"schema": {"customer_tier": "string"}, "details": details}
    bad = api.put(f"/profiles/schema/{PROJECT}", json={"details": [{**details[0],
                                                                    "type": "date"}]})
    assert bad.status_code == 400


def test_names_are_unique_and_client_reference_ids_are_kept(api: Api) -> None:
    ref = "3f0e8a4e-2c55-5b8e-9d1e-7b7f3a9c1d20"
    first = api.post(f"/flows/{FLOW}/slotfillers", json={"name": "n", "type": "regex",
                                                         "regex": "/a/g", "referenceId": ref})
    assert first.json()["referenceId"] == ref
    again = api.post(f"/flows/{FLOW}/slotfillers", json={"name": "n", "type": "regex",
                                                         "regex": "/b/g"})
    assert again.status_code == 409
    assert again.json()["code"] == 1004
    assert api.post(f"/flows/{FLOW}/slotfillers", json={"name": "m", "type": "regex"}
                    ).json()["code"] == 1000
