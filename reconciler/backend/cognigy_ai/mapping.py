"""The pure translation between the core's Platform-shaped objects and Cognigy.AI's own.

- A regex ``Slot`` is one regex slot filler: its patterns joined into one JavaScript literal
  (``aiapi.filler_regex``: ``/(?:p1)|G(?:p2)/g``, the strategy in its shape and flags). What
  the filler cannot hold (the pattern list, ``fillStrategy``, ``dependencies`` by name,
  ``labels`` with cogctl's applied hash) is kept in cogctl's state and surfaced back as the
  slot's own fields, so the core's applied-hash and drift rules apply unchanged. A filler
  whose regex is no longer the join of the recorded patterns (edited outside cogctl) shows
  the regex's body as its one pattern: the hashes then differ.
- A keyphrase ``Slot`` is a slot filler ``type: slot`` naming a lexicon slot of the same
  name; its patterns are the lexicon's entries (``keyphrasing``), passed in as ``keyphrases``.
- ``ContextDefaults`` are the entry flow's ``context`` (values only); each managed key's
  scope and the reserved ``_cogctl_*`` keys (the applied entry, the retraining marker) live
  in the state, never in the entry flow, whose context every session copies.
- Versions are ``<_id>:<lastChanged>``; a context's also covers its state record, so a
  write of cogctl's own bookkeeping moves it as an ETag would.
- cogctl's state is the ``context`` of the flow ``cogctl-state`` of each project:
  ``{"format": 1, "objects": {address: record}, "contexts": {bot: record}}``.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from reconciler.core import livetypes as lt
from reconciler.manifests import aiapi, regexes

STATE_FLOW = "cogctl-state"
STATE_FORMAT = 1
RESERVED_PREFIX = "_cogctl_"
DEFAULT_SCOPE = "session"
# uuid5 namespace of cogctl's referenceIds: uuid5(NAMESPACE_URL, "https://cogctl.dev/ai").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://cogctl.dev/ai")
TASK_STATUS: dict[str, str] = {
    "queued": "queued", "active": "running", "cancelling": "running", "done": "succeeded",
    "cancelled": "failed", "error": "failed",
}


def join_patterns(patterns: Sequence[str], fill_strategy: str | None = None) -> str:
    """The filler's one JavaScript literal for the patterns (``aiapi.filler_regex``: the
    fill strategy is in its shape, ``fuzzy`` is its ``i`` flag)."""
    return aiapi.filler_regex(patterns, fill_strategy)


FUZZY_FLAGS = aiapi.FUZZY_FLAGS


def strategy_of(regex: str | None, recorded: str | None) -> str:
    """The slot's fill strategy as live says it: the recorded one while the literal's shape
    (``aiapi.read_filler_regex``) or, for another literal, its ``i`` flag agrees with it;
    else what the literal says (``fuzzy`` for one with ``i``, else ``firstMatch``)."""
    read = aiapi.read_filler_regex(regex) if regex is not None else None
    if read is not None:
        shape = {"bestMatch": "firstMatch"}.get(recorded or "", recorded)
        return recorded if recorded is not None and shape == read[1] else read[1]
    flags = regex_flags(regex) if regex is not None else None
    fuzzy_live = flags is not None and "i" in flags
    if recorded is not None and (recorded == "fuzzy") == fuzzy_live:
        return recorded
    if fuzzy_live:
        return "fuzzy"
    return recorded if recorded not in (None, "fuzzy") else "firstMatch"


def folds_case(filler: Mapping[str, Any]) -> bool:
    """Whether the filler matches in any case: a lexicon always, a regex with the flag i."""
    regex = filler.get("regex")
    return filler.get("type") == "slot" or (
        isinstance(regex, str) and "i" in (regex_flags(regex) or ""))


def regex_body(regex: str) -> str:
    """The pattern of a ``/body/flags`` literal; a string not in that form as it is."""
    flags = regex_flags(regex)
    return regex if flags is None else regex[1:len(regex) - len(flags) - 1]


def regex_flags(regex: str) -> str | None:
    """The flags of a ``/body/flags`` literal; None for a string not in that form."""
    if regex.startswith("/"):
        end = regex.rfind("/")
        flags = regex[end + 1:]
        if end > 0 and (flags == "" or flags.isalpha()):
            return flags
    return None


def export_refusal(filler: Mapping[str, Any]) -> str | None:
    """Why a slot filler cannot be exported as a ``Slot`` that means the same, or None. An
    index item (no ``regex``) of a regex filler is None: read it whole to know."""
    kind = filler.get("type")
    if kind == "slot":
        return None  # a keyphrase slot: its lexicon's entries are its patterns
    if kind != "regex":
        return f"a slot filler of type {kind!r}: no Slot type of cogctl means the same"
    regex = filler.get("regex")
    if not isinstance(regex, str):
        return None
    flags = regex_flags(regex)
    if flags is None:
        return "its regex is not a /pattern/flags literal"
    extra = sorted(set(flags) - set(FUZZY_FLAGS))
    if extra:
        return (f"its regex has the flag(s) {''.join(extra)}, which a Slot's patterns cannot "
                "say")
    return None


def patterns_of(regex: str | None, recorded: Sequence[str] | None,
                fill_strategy: str | None = None) -> list[str]:
    """The slot's patterns: the recorded ones while the regex is still their join; else
    those a literal of cogctl's shape was written from; else its body as one pattern."""
    if regex is None:
        return []
    if recorded is not None and join_patterns(recorded, fill_strategy) == regex:
        return list(recorded)
    read = aiapi.read_filler_regex(regex)
    if read is not None:
        return list(read[0])
    return [regexes.from_javascript(regex_body(regex))]


def address(bot: str, name: str) -> str:
    return f"Slot/{bot}/{name}"


def reference_id(key: str) -> str:
    """A deterministic referenceId (uuid5) for what cogctl creates at ``key``."""
    return str(uuid.uuid5(NAMESPACE, key))


def version_of(doc: Mapping[str, Any]) -> str:
    return f"{doc.get('_id')}:{doc.get('lastChanged')}"


def slot_version(filler: Mapping[str, Any], keyphrases: Sequence[str] | None = None) -> str:
    """A slot's version: its filler's, and for a keyphrase slot also its entries' (a write
    to a lexicon moves no filler)."""
    if filler.get("type") != "slot" or keyphrases is None:
        return version_of(filler)
    return f"{version_of(filler)}:{content_hash(list(keyphrases))[7:23]}"


def content_hash(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def managed_fields(filler: Mapping[str, Any]) -> dict[str, Any]:
    """What cogctl writes of a slot filler: the drift hash is taken over these."""
    managed = {"name": filler.get("name"), "type": filler.get("type"),
               "regex": filler.get("regex"), "contextKey": filler.get("contextKey")}
    if filler.get("type") == "slot":
        managed["slot"] = filler.get("slot")
        del managed["regex"]
    return managed


def _iso(seconds: Any) -> str:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return ""
    moment = datetime.datetime.fromtimestamp(float(seconds), tz=datetime.timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def filler_write(body: lt.SlotWrite, key: str, *, create: bool) -> dict[str, Any]:
    """The slot filler fields a slot write sets (a create also sets its referenceId)."""
    written: dict[str, Any] = {"name": body["name"], "type": "regex",
                               "regex": join_patterns(body["patterns"], body["fillStrategy"]),
                               "contextKey": body["name"]}
    if body["type"] == "keyphrase":
        del written["regex"]
        written.update(type="slot", slot=body["name"])
    if create:
        written["referenceId"] = reference_id(key)
        written["storeResultInContext"] = True
    return written


def slot_record(filler: Mapping[str, Any], body: lt.SlotWrite,
                dependency_names: Sequence[str]) -> dict[str, Any]:
    """What the state keeps of a slot cogctl wrote: ids, the applied hash and the fields the
    filler has no place for."""
    return {
        "_id": filler.get("_id"), "referenceId": filler.get("referenceId"),
        "lastChanged": filler.get("lastChanged"),
        "appliedHash": content_hash(managed_fields(filler)),
        "regex": filler.get("regex"), "contextKey": filler.get("contextKey"),
        "patterns": list(body["patterns"]), "fillStrategy": body["fillStrategy"],
        "dependencies": sorted(set(dependency_names)), "labels": dict(body["labels"]),
    }


def live_slot(filler: Mapping[str, Any], record: Mapping[str, Any] | None, *, bot: str,
              ids_by_name: Mapping[str, str],
              keyphrases: Sequence[str] | None = None) -> lt.LiveSlot:
    """A slot filler (full or an index item with the record's regex) as the core sees it;
    a keyphrase filler's patterns are ``keyphrases``."""
    record = record or {}
    kind = filler.get("type")
    regex = filler.get("regex") if kind == "regex" else None
    recorded = record.get("patterns")
    recorded_strategy = record.get("fillStrategy")
    strategy = (strategy_of(regex if isinstance(regex, str) else None,
                            recorded_strategy if isinstance(recorded_strategy, str) else None)
                if kind == "regex" else str(recorded_strategy or "firstMatch"))
    dependencies = [ids_by_name.get(n, n) for n in record.get("dependencies") or ()]
    slot = {
        "slotId": str(filler.get("_id")), "botId": bot, "name": str(filler.get("name")),
        "type": "regex" if kind == "regex" else "keyphrase",
        "patterns": list(keyphrases) if kind == "slot" and keyphrases is not None
        else patterns_of(regex if isinstance(regex, str) else None,
                         recorded if isinstance(recorded, list) else None, strategy),
        "fillStrategy": strategy,
        "dependencies": dependencies, "labels": dict(record.get("labels") or {}),
        "version": slot_version(filler, keyphrases),
        "updatedAt": _iso(filler.get("lastChanged")),
    }
    return cast(lt.LiveSlot, slot)


def empty_state() -> dict[str, Any]:
    return {"format": STATE_FORMAT, "objects": {}, "contexts": {}}


def read_state(context: Any) -> dict[str, Any]:
    """The state flow's context as state; anything garbled reads as empty, never raises."""
    if not isinstance(context, dict) or context.get("format") != STATE_FORMAT:
        return empty_state()
    state = copy.deepcopy(context)
    for part in ("objects", "contexts"):
        if not isinstance(state.get(part), dict):
            state[part] = {}
    return state


def context_record(state: Mapping[str, Any], bot: str) -> dict[str, Any]:
    found = state.get("contexts", {}).get(bot)
    record = found if isinstance(found, dict) else {}
    scopes = record.get("scopes")
    reserved = record.get("reserved")
    return {"scopes": dict(scopes) if isinstance(scopes, dict) else {},
            "reserved": dict(reserved) if isinstance(reserved, dict) else {}}


def live_context(flow: Mapping[str, Any], record: Mapping[str, Any], *,
                 bot: str) -> lt.LiveContext:
    values = flow.get("context")
    values = values if isinstance(values, dict) else {}
    scopes = record.get("scopes") or {}
    context: dict[str, lt.ContextEntry] = {
        key: {"value": value, "scope": str(scopes.get(key, DEFAULT_SCOPE))}
        for key, value in values.items() if not key.startswith(RESERVED_PREFIX)
    }
    for key, entry in (record.get("reserved") or {}).items():
        if isinstance(entry, dict):
            context[key] = cast(lt.ContextEntry, copy.deepcopy(entry))
    own = content_hash({"scopes": scopes, "reserved": record.get("reserved") or {}})
    version = f"{version_of(flow)}:{own.removeprefix('sha256:')[:16]}"
    return {"botId": bot, "contextVersion": version, "context": context}


def apply_context_changes(
    flow_context: Mapping[str, Any], record: Mapping[str, Any],
    changes: Mapping[str, lt.ContextEntry | None],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entry flow's new context (unmanaged keys kept) and the new state record."""
    values = copy.deepcopy(dict(flow_context))
    scopes = dict(record.get("scopes") or {})
    reserved = dict(record.get("reserved") or {})
    for key, entry in changes.items():
        if key.startswith(RESERVED_PREFIX):
            if entry is None:
                reserved.pop(key, None)
            else:
                reserved[key] = copy.deepcopy(dict(entry))
        elif entry is None:
            values.pop(key, None)
            scopes.pop(key, None)
        else:
            values[key] = copy.deepcopy(entry.get("value"))
            scopes[key] = entry.get("scope") or DEFAULT_SCOPE
    return values, {"scopes": scopes, "reserved": reserved}


def retrain_job(task: Mapping[str, Any], *, bot: str) -> lt.RetrainJob:
    status = TASK_STATUS.get(str(task.get("status")), "running")
    job: dict[str, Any] = {"jobId": str(task.get("_id")), "status": status, "botId": bot}
    current, total = task.get("currentStep"), task.get("totalStep")
    if isinstance(current, int | float) and isinstance(total, int | float) and total:
        job["progress"] = max(0.0, min(1.0, float(current) / float(total)))
    if status == "succeeded":
        job["modelVersion"] = f"task-{task.get('_id')}"
    if status == "failed":
        job["error"] = str(task.get("failReason") or task.get("status"))
    return cast(lt.RetrainJob, job)
