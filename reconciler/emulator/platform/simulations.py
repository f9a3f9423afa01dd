"""Simulations: the bot's entities, submitting a simulated user turn, and reading the result.

A simulation's turns are computed when it is submitted (from the state at that moment) and
shown once it completes; its status moves queued -> running -> completed by the clock, half
of ``settings.simulationSeconds`` each. Entities are extracted by the bot's trained slots
(or its current slots while it has no model) plus keyword entities of the fixture.

The turn's error code, first rule that applies:
1. ``NO_INTENT_MATCH``: no intent overlaps the text enough (intent, flowId, response null).
2. ``FLOW_NOT_DEPLOYED``: the intent's flow is not deployed (response null).
3. ``ENTITY_NOT_FOUND``: the request's ``context.entities`` (a list of names, or a map whose
   keys are names) names an entity the bot does not have (not in ``GET /api/bot/entities``);
   the message names the first such entity. The response is still given.
Otherwise ``errorCode`` and ``errorMessage`` are null and ``response`` is the intent's.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from reconciler.emulator.platform import matching, records, training, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

READ = "cognigy:platform:read"
EXECUTE = "simulation:execute"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class _SimulateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    botId: str = Field(min_length=1)
    userId: str = ""
    platform: str = ""
    input: _Input
    context: dict[str, JsonValue] = Field(default_factory=dict)
    testId: str = ""


def entities_of(call: Call, bot: records.BotRecord) -> list[dict[str, JsonValue]]:
    found: list[dict[str, JsonValue]] = [{"name": e.name, "type": e.type} for e in bot.entities]
    names = {e.name for e in bot.entities}
    for slot in training.bot_slots(call.state, bot.botId):
        if slot.name not in names:
            found.append({"name": slot.name, "type": "slot"})
    return found


def list_entities(call: Call) -> wire.Answer:
    bot_id = call.query.get("botId")
    if not bot_id:
        raise wire.invalid("botId", "required")
    bot = call.bot(bot_id)
    return wire.Answer(200, list(entities_of(call, bot)))


def _expected_entities(context: dict[str, JsonValue]) -> list[str]:
    named = context.get("entities")
    if isinstance(named, dict):
        return list(named)
    if isinstance(named, list):
        return [str(n) for n in named]
    return []


def _turn(call: Call, bot: records.BotRecord, body: _SimulateBody) -> dict[str, JsonValue]:
    slots = bot.model if bot.model is not None else training.bot_slots(call.state, bot.botId)
    text = body.input.text
    intent = matching.recognise_intent(bot.intents, text)
    entities: dict[str, JsonValue] = dict(matching.extract_entities(bot, slots, text))
    turn: dict[str, JsonValue] = {
        "turnIndex": 0, "flowId": None, "intent": None, "entities": entities,
        "response": None, "errorCode": None, "errorMessage": None,
    }
    if intent is None:
        turn.update(errorCode="NO_INTENT_MATCH", errorMessage="no intent matched the input")
        return turn
    turn.update(flowId=intent.flowId, intent=intent.name)
    flow = next((f for f in bot.flows if f.flowId == intent.flowId), None)
    if flow is None or not flow.deployed:
        turn.update(errorCode="FLOW_NOT_DEPLOYED",
                    errorMessage=f"flow {intent.flowId!r} is not deployed")
        return turn
    turn["response"] = intent.response
    known = {str(e["name"]) for e in entities_of(call, bot)}
    unknown = [n for n in _expected_entities(body.context) if n not in known]
    if unknown:
        turn.update(errorCode="ENTITY_NOT_FOUND",
                    errorMessage=f"entity {unknown[0]!r} is not defined in bot {bot.botId!r}")
    return turn


def simulate(call: Call) -> wire.Answer:
    try:
        body = _SimulateBody.model_validate(wire.require_object(call.body))
    except ValidationError as exc:
        raise wire.from_validation_error(exc) from None
    bot = call.bot(body.botId)
    sim = records.SimulationRecord(
        simulationId=f"sim_{uuid.uuid4().hex[:16]}", testId=body.testId, botId=bot.botId,
        createdAt=call.now, stepSeconds=call.state.settings.simulationSeconds / 2,
        turns=[_turn(call, bot, body)],
    )
    call.state.simulations[sim.simulationId] = sim
    answer: dict[str, JsonValue] = {"simulationId": sim.simulationId, "status": "queued"}
    return wire.Answer(202, answer,
                       {"Location": f"/api/bot/simulation/{sim.simulationId}"})


def get_simulation(call: Call) -> wire.Answer:
    sim = call.owned(call.state.simulations, "simulation", call.params["simulationId"],
                     lambda s: s.botId)
    elapsed = call.now - sim.createdAt
    if elapsed >= 2 * sim.stepSeconds:
        status = "completed"
    else:
        status = "running" if elapsed >= sim.stepSeconds else "queued"
    turns: list[JsonValue] = list(sim.turns) if status == "completed" else []
    body: dict[str, JsonValue] = {
        "simulationId": sim.simulationId, "testId": sim.testId, "botId": sim.botId,
        "status": status, "turns": turns,
    }
    return wire.Answer(200, body)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/bot/entities", list_entities, (READ,)),
    Endpoint("POST", "/api/bot/simulate", simulate, (EXECUTE,)),
    Endpoint("GET", "/api/bot/simulation/{simulationId}", get_simulation, (READ,)),
]
