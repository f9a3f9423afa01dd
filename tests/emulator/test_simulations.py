"""Simulations: entities, the status timeline, intents, entities and error codes."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Authed, FakeClock, slot_body


def _simulate(admin: Authed, clock: FakeClock, text: str, **extra: Any) -> dict[str, Any]:
    posted = admin.post("/api/bot/simulate", json={
        "botId": "bot_support", "userId": "u1", "platform": "test",
        "input": {"text": text}, "testId": "case-1", **extra})
    assert posted.status_code == 202, posted.text
    assert posted.json()["status"] == "queued"
    clock.advance(1)
    done = admin.get(f"/api/bot/simulation/{posted.json()['simulationId']}").json()
    assert done["status"] == "completed"
    assert done["testId"] == "case-1"
    return dict(done["turns"][0])


def test_entities_include_slots(admin: Authed) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    entities = admin.get("/api/bot/entities?botId=bot_support").json()
    assert {"name": "product", "type": "keyword"} in entities
    assert {"name": "order_number", "type": "slot"} in entities
    assert {"name": "zip_code", "type": "slot"} in entities
    assert admin.get("/api/bot/entities").status_code == 400


def test_status_moves_by_the_clock(admin: Authed, clock: FakeClock) -> None:
    sim = admin.post("/api/bot/simulate", json={
        "botId": "bot_support", "input": {"text": "where is my order"}}).json()["simulationId"]
    path = f"/api/bot/simulation/{sim}"
    assert admin.get(path).json() | {"status": "queued", "turns": []} == admin.get(path).json()
    clock.advance(0.5)
    assert admin.get(path).json()["status"] == "running"
    clock.advance(0.5)
    assert admin.get(path).json()["status"] == "completed"


def test_intent_entities_and_response(admin: Authed, clock: FakeClock) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    turn = _simulate(admin, clock, "where is my order ORD-42 for the router")
    assert turn == {
        "turnIndex": 0, "flowId": "flow_orders", "intent": "order_status",
        "entities": {"product": "router", "order_number": "ORD-42"},
        "response": "Let me check your order.", "errorCode": None, "errorMessage": None,
    }


@pytest.mark.parametrize(
    ("text", "context", "code", "needle"),
    [
        ("invoice question", {}, "FLOW_NOT_DEPLOYED", "flow_billing"),
        ("tell me a joke", {}, "NO_INTENT_MATCH", "no intent"),
        ("where is my order", {"entities": ["order_colour"]}, "ENTITY_NOT_FOUND",
         "order_colour"),
        ("where is my order", {"entities": {"product": "router", "shoe_size": 9}},
         "ENTITY_NOT_FOUND", "shoe_size"),
        ("where is my order", {"entities": ["product", "zip_code"]}, None, None),
    ],
)
def test_error_codes(
    admin: Authed, clock: FakeClock, text: str, context: dict[str, Any], code: str | None,
    needle: str | None,
) -> None:
    turn = _simulate(admin, clock, text, context=context)
    assert turn["errorCode"] == code
    if needle is not None:
        assert needle in turn["errorMessage"]


def test_trained_bots_extract_with_their_model(admin: Authed, clock: FakeClock) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body(triggerRetrain=True))
    clock.advance(10)
    admin.put("/api/v1/slots/s1", json=slot_body(patterns=["nothing-matches"]))
    turn = _simulate(admin, clock, "where is my order ORD-7")
    assert turn["entities"]["order_number"] == "ORD-7"


def test_validation_and_unknown_ids(admin: Authed) -> None:
    assert admin.post("/api/bot/simulate", json={"botId": "bot_support"}).status_code == 400
    assert admin.post("/api/bot/simulate", json={
        "botId": "nope", "input": {"text": "x"}}).status_code == 404
    assert admin.get("/api/bot/simulation/nope").status_code == 404
