"""Bots (``GET /api/v1/bots``, ``GET /api/v1/bots/{botId}``), retraining jobs and extraction
metrics. A client sees only its workspace's bots; another workspace's bot is ``403``.

Extraction metrics run the slot as the bot's trained model holds it over the bot's labelled
utterances (``matching``). They are ``404 metrics_not_ready`` while the bot has no model, or
the model's copy of the slot is not the slot's current version (changed since training).
A slot without labelled utterances answers ``successRate: 0.0`` with ``sampleSize: 0``.
"""

from __future__ import annotations

from pydantic import JsonValue

from reconciler.emulator.platform import matching, records, training, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

READ = "cognigy:platform:read"
RETRAIN = "cognigy:nlp:retrain"
TIME_RANGES = ("last24h", "last7d", "last30d")


def render(bot: records.BotRecord) -> dict[str, JsonValue]:
    return {"botId": bot.botId, "name": bot.name, "workspaceId": bot.workspaceId}


def list_bots(call: Call) -> wire.Answer:
    items = [b for b in call.state.bots.values() if b.workspaceId == call.caller.workspace_id]
    return wire.Answer(200, wire.page(items, call.query, render))


def get_bot(call: Call) -> wire.Answer:
    bot = call.bot(call.params["botId"])
    answer = render(bot)
    answer["modelVersion"] = bot.modelVersion
    return wire.Answer(200, answer)


def start_retrain(call: Call) -> wire.Answer:
    bot = call.bot(call.params["botId"])
    job = training.start_or_join(call.state, bot.botId, call.now)
    view = training.view(job, call.now)
    body: dict[str, JsonValue] = {"jobId": job.jobId, "status": view["status"]}
    return wire.Answer(202, body, {"Location": f"/api/v1/nlp/jobs/{job.jobId}"})


def get_job(call: Call) -> wire.Answer:
    job = call.owned(call.state.jobs, "job", call.params["jobId"], lambda j: j.botId)
    return wire.Answer(200, training.view(job, call.now))


def extraction_metrics(call: Call) -> wire.Answer:
    bot = call.bot(call.params["botId"])
    slot_id = call.params["slotId"]
    slot = call.state.slots.get(slot_id)
    if slot is None or slot.botId != bot.botId:
        raise wire.not_found("slot", slot_id)
    time_range = call.query.get("timeRange", "last24h")
    if time_range not in TIME_RANGES:
        raise wire.invalid("timeRange", f"must be one of {', '.join(TIME_RANGES)}")
    metric = call.query.get("metric", "successRate")
    if metric != "successRate":
        raise wire.invalid("metric", "only successRate is available")
    trained = next((s for s in bot.model or [] if s.slotId == slot_id), None)
    if trained is None or trained.version != slot.version or bot.modelVersion is None:
        raise wire.ApiError(
            404, "metrics_not_ready",
            f"no model of bot {bot.botId!r} was trained since slot {slot_id!r} last changed; "
            "retraining may still be processing",
        )
    rate, size = matching.success_rate(trained, bot.utterances)
    body: dict[str, JsonValue] = {
        "slotId": slot_id, "successRate": rate, "sampleSize": size,
        "modelVersion": bot.modelVersion, "timeRange": time_range,
    }
    return wire.Answer(200, body)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v1/bots", list_bots, (READ,)),
    Endpoint("GET", "/api/v1/bots/{botId}", get_bot, (READ,)),
    Endpoint("POST", "/api/v1/bots/{botId}/nlp/retrain", start_retrain, (RETRAIN,)),
    Endpoint("GET", "/api/v1/nlp/jobs/{jobId}", get_job, (READ,)),
    Endpoint("GET", "/api/v1/bots/{botId}/analytics/slots/{slotId}/extraction",
             extraction_metrics, (READ,)),
]
