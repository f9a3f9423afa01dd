"""Context defaults of a bot and conversation contexts: read, and merge-PATCH with If-Match.

Both merge: a key set to ``null`` is removed, others are replaced. Without ``If-Match`` the
write is last-writer-wins; a stale ``If-Match`` is ``409 version_conflict``. Limits: one value
at most 10 KB as compact JSON, the whole context at most 512 KB; context-default keys match
``^[A-Za-z0-9_]+$`` and entries are ``{"value", "scope"}`` with scope in
global|conversation|user|session. An unknown conversation is ``404`` (contexts are not
created by a PATCH).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from pydantic import JsonValue

from reconciler.emulator.platform import checks, records, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

READ = "cognigy:platform:read"
WRITE = "context:write"
CONVERSATION_READ = "conversation:read"

V = TypeVar("V")


def _changes(call: Call) -> dict[str, JsonValue]:
    body = wire.require_object(call.body)
    changes = body.get("context")
    if not isinstance(changes, dict):
        raise wire.invalid("context", "must be an object of key -> entry (or null to remove)")
    return changes


def _merged(
    current: Mapping[str, V], changes: Mapping[str, JsonValue], convert: Callable[[JsonValue], V]
) -> dict[str, V]:
    """A one-level merge patch: a key set to ``null`` is removed, any other is replaced."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = convert(value)
    return merged


def _defaults(call: Call) -> tuple[records.BotRecord, records.BotContextRecord]:
    bot = call.bot(call.params["botId"])
    doc = call.state.contexts.setdefault(
        bot.botId, records.BotContextRecord(contextVersion=call.state.next_version())
    )
    return bot, doc


def _render_defaults(bot_id: str, doc: records.BotContextRecord) -> wire.Answer:
    context: dict[str, JsonValue] = {k: e.model_dump(mode="json") for k, e in doc.context.items()}
    body: dict[str, JsonValue] = {
        "botId": bot_id, "contextVersion": doc.contextVersion, "context": context,
    }
    return wire.Answer(200, body, wire.etag(doc.contextVersion))


def get_defaults(call: Call) -> wire.Answer:
    bot, doc = _defaults(call)
    return _render_defaults(bot.botId, doc)


def patch_defaults(call: Call) -> wire.Answer:
    bot, doc = _defaults(call)
    changes = _changes(call)
    wire.check_if_match(call.header("if-match"), doc.contextVersion)
    checks.check_context_entries(changes, defaults=True)
    merged = _merged(doc.context, changes, records.ContextEntryRecord.model_validate)
    checks.check_context_total({k: e.model_dump(mode="json") for k, e in merged.items()})
    doc.context = merged
    doc.contextVersion = call.state.next_version()
    return _render_defaults(bot.botId, doc)


def _conversation(call: Call, conversation_id: str) -> records.ConversationRecord:
    return call.owned(call.state.conversations, "conversation", conversation_id,
                      lambda c: c.botId)


def _render_conversation(conv: records.ConversationRecord) -> wire.Answer:
    body: dict[str, JsonValue] = {
        "conversationId": conv.conversationId, "contextVersion": conv.contextVersion,
        "context": dict(conv.context),
    }
    return wire.Answer(200, body, wire.etag(conv.contextVersion))


def get_conversation(call: Call) -> wire.Answer:
    return _render_conversation(_conversation(call, call.params["conversationId"]))


def patch_conversation(call: Call) -> wire.Answer:
    body = wire.require_object(call.body)
    conversation_id = body.get("conversationId")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise wire.invalid("conversationId", "required, a non-empty string")
    conv = _conversation(call, conversation_id)
    changes = _changes(call)
    wire.check_if_match(call.header("if-match"), conv.contextVersion)
    checks.check_context_entries(changes, defaults=False)
    merged = _merged(conv.context, changes, lambda value: value)
    checks.check_context_total(merged)
    conv.context = merged
    conv.contextVersion = call.state.next_version()
    return _render_conversation(conv)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v1/bots/{botId}/context", get_defaults, (READ,)),
    Endpoint("PATCH", "/api/v1/bots/{botId}/context", patch_defaults, (WRITE,)),
    Endpoint("PATCH", "/api/v1/context", patch_conversation, (WRITE,)),
    Endpoint("GET", "/api/v1/context/{conversationId}", get_conversation, (CONVERSATION_READ,)),
]
