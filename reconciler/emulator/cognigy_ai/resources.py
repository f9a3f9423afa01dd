"""Projects, locales, flows, slot fillers, lexicons (slots, entries), charts and chart nodes,
connections, intents and ``users/me``: the resource endpoints of the Cognigy.AI emulator.

Creates answer ``201`` with the object, reads ``200``, PATCH ``200 {}``, DELETE ``204``.
Writes to a flow's slot fillers, to a lexicon (or its slots and entries) attached to a flow,
and to a flow's ``attachedLexicons`` set that flow's ``isTrainingOutOfDate``. Connection
``fields`` are write-only: reads answer their keys with masked values. Chart nodes carry no
``createdAt``/``lastChanged``. Names are unique per scope (flow names per project, slot
fillers per flow, ...): a second one is ``409`` with code 1004.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from pydantic import JsonValue

from reconciler.emulator.cognigy_ai import nlu, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.records import Doc
from reconciler.emulator.cognigy_ai.state import TenantState

MASK = "********"
NO_CONTENT = wire.Answer(204)
CONNECTION_SCHEMAS: list[tuple[str, str, list[str]]] = [
    ("http_basic", "Basic Auth", ["username", "password"]),
    ("http_apiKeyAuthKey", "API Key (Authorization: key)", ["authApiKey"]),
    ("http_apiKeyXKey", "API Key (X-API-Key)", ["authApiKey"]),
    ("http_oauth2", "OAuth2", ["oAuth2Url", "oAuth2ClientId", "oAuth2ClientSecret",
                               "oAuth2Scope"]),
]
NODE_MODES = frozenset({"append", "prepend", "appendChild", "prependChild", "insertChildAt",
                        "insertAfter", "insertBefore"})


def ok(body: JsonValue) -> wire.Answer:
    return wire.Answer(200, body)


def created(doc: Doc | dict[str, JsonValue]) -> wire.Answer:
    return wire.Answer(201, copy.deepcopy(doc.body if isinstance(doc, Doc) else doc))


def bodies(docs: Iterable[Doc]) -> list[dict[str, JsonValue]]:
    return [copy.deepcopy(d.body) for d in docs]


def unique(state: TenantState, kind: str, name: str, *, project: str | None = None,
           parent: str | None = None, other_than: str | None = None) -> None:
    for doc in state.of_kind(kind, project=project, parent=parent):
        if doc.body.get("name") == name and doc.body["_id"] != other_than:
            raise wire.conflict(f"a {kind} named {name!r} already exists "
                                f"({doc.body['_id']})")


def check_context(state: TenantState, context: JsonValue) -> None:
    size = wire.json_size(context)
    if size > state.settings.contextLimitBytes:
        raise wire.ApiError(400, f"context: {size} bytes exceed the limit of "
                            f"{state.settings.contextLimitBytes}", code=1005)


def out_of_date(state: TenantState, flow_ids: Iterable[str]) -> None:
    for flow_id in flow_ids:
        flow = state.docs.get(flow_id)
        if flow is not None and flow.kind == "flow":
            flow.body["isTrainingOutOfDate"] = True
            state.seq += 1
            flow.dirty = state.seq


def flows_attaching(state: TenantState, lexicon_id: str) -> list[str]:
    return [str(f.body["_id"]) for f in state.of_kind("flow")
            if lexicon_id in (f.body.get("attachedLexicons") or [])]  # type: ignore[operator]


# -- users, projects, locales -------------------------------------------------------------

def read_user_me(call: Call) -> wire.Answer:
    return ok(call.state.user(call.user))


def index_projects(call: Call) -> wire.Answer:
    return ok(wire.page(bodies(call.state.of_kind("project")), call.query))


def read_project(call: Call) -> wire.Answer:
    return ok(copy.deepcopy(call.doc("project", "projectId", "Project").body))


def index_locales(call: Call) -> wire.Answer:
    return ok(wire.page(bodies(call.state.of_kind("locale", project=call.scope())),
                        call.query))


def read_locale(call: Call) -> wire.Answer:
    return ok(copy.deepcopy(call.doc("locale", "localeId", "Locale").body))


def locale_of(state: TenantState, project: str, ident: str | None) -> Doc:
    """A project's locale by ``_id`` or referenceId (the primary one when None)."""
    locales = list(state.of_kind("locale", project=project))
    if ident is None:
        return next(d for d in locales if d.body["primary"])
    for doc in locales:
        if ident in (doc.body["_id"], doc.body["referenceId"]):
            return doc
    raise wire.not_found("Locale", ident)


# -- flows --------------------------------------------------------------------------------

FLOW_FIELDS = {"name": "str", "description": "str", "context": "any", "img": "str",
               "attachedFlows": "strlist", "attachedLexicons": "strlist", "projectId": "str",
               "localeId": "str", "transcript": "str", "flowGenerationInput": "str"}


def new_flow(state: TenantState, project: str, values: dict[str, JsonValue], user: str,
             now: float, ident: str | None = None) -> Doc:
    name = wire.name_of(values)
    unique(state, "flow", name, project=project)
    context = values.get("context", {})
    check_context(state, context)
    mongo_id = ident or state.new_id()
    flow = state.add("flow", {
        "referenceId": wire.reference_id(mongo_id), "name": name,
        "description": values.get("description", ""), "context": context,
        "attachedFlows": values.get("attachedFlows", []), "attachedLexicons": [],
        "localeReference": locale_of(state, project, None).body["_id"],
        "intentTrainGroupReference": state.new_id(),
        "feedbackReport": {"findings": [], "info": {"accuracy": 0, "fScore": 0}},
        "isTrainingOutOfDate": True, "img": values.get("img", ""),
    }, project=project, user=user, now=now, ident=mongo_id)
    lexicons = values.get("attachedLexicons")
    if isinstance(lexicons, list):
        flow.body["attachedLexicons"] = _lexicons(state, project, lexicons)
    end = state.add("chartnode", _node_body(state, flow, {"type": "end", "label": "End"}),
                    project=project, parent=mongo_id, user=user, now=now, meta=False)
    start = state.add("chartnode", _node_body(state, flow, {"type": "start",
                                                            "label": "Start"}),
                      project=project, parent=mongo_id, user=user, now=now, meta=False)
    start.body["isEntryPoint"] = True
    start.next = str(end.body["_id"])
    return flow


def _lexicons(state: TenantState, project: str, ids: list[JsonValue]) -> list[JsonValue]:
    for ident in ids:
        lexicon = state.get("lexicon", str(ident), "Lexicon")
        if lexicon.projectId != project:
            raise wire.invalid("attachedLexicons", f"lexicon {ident} is in another project")
    return list(dict.fromkeys(ids))


def render_flow(state: TenantState, flow: Doc) -> dict[str, JsonValue]:
    return copy.deepcopy(flow.body)


def index_flows(call: Call) -> wire.Answer:
    items = []
    for flow in call.state.of_kind("flow", project=call.scope()):
        item = {k: copy.deepcopy(v) for k, v in flow.body.items()
                if k in ("_id", "referenceId", "name", "description", "isTrainingOutOfDate",
                         "createdAt", "lastChanged", "createdBy", "lastChangedBy")}
        if wire.flag(call.query, "includeFeedbackReport"):
            item["feedbackReport"] = copy.deepcopy(flow.body["feedbackReport"])
        items.append(item)
    return ok(wire.page(items, call.query))


def create_flow(call: Call) -> wire.Answer:
    values = wire.fields(call.body, FLOW_FIELDS, required=("projectId", "name"))
    project = call.project(values["projectId"])
    return created(new_flow(call.state, str(project.body["_id"]), values, call.user, call.now))


def read_flow(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    if "preferredLocaleId" in call.query:
        locale_of(call.state, flow.projectId, call.query["preferredLocaleId"])
    return ok(render_flow(call.state, flow))


def update_flow(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    values = wire.fields(call.body, FLOW_FIELDS, ignore=("flowId",))
    values.pop("projectId", None)
    values.pop("transcript", None)
    values.pop("flowGenerationInput", None)
    if "localeId" in values:
        locale_of(call.state, flow.projectId, str(values.pop("localeId")))
    if "name" in values:
        unique(call.state, "flow", wire.name_of(values), project=flow.projectId,
               other_than=str(flow.body["_id"]))
    if "context" in values:
        check_context(call.state, values["context"])
    if "attachedLexicons" in values:
        lexicons = values["attachedLexicons"]
        assert isinstance(lexicons, list)
        values["attachedLexicons"] = _lexicons(call.state, flow.projectId, lexicons)
        if values["attachedLexicons"] != flow.body["attachedLexicons"]:
            out_of_date(call.state, [str(flow.body["_id"])])
    flow.body.update(copy.deepcopy(values))
    call.state.touch(flow, call.user, call.now)
    return ok({})


def delete_flow(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    ident = str(flow.body["_id"])
    for child in [d for d in call.state.docs.values() if d.parent == ident]:
        call.state.remove(str(child.body["_id"]))
    call.state.remove(ident)
    return NO_CONTENT


# -- slot fillers -------------------------------------------------------------------------

FILLER_FIELDS = {"name": "str", "type": "str", "regex": "str", "slot": "str",
                 "referenceId": "str", "usePositiveOnly": "bool", "removeNegated": "bool",
                 "storeResultInContext": "bool", "contextKey": "str",
                 "storeInContactProfile": "bool", "profileKey": "str",
                 "storeDetailedResults": "bool", "skipIfResultInContext": "bool",
                 "additionalValidation": "str", "resultLocation": "str"}
FILLER_TYPES = frozenset({"regex", "slot", "age", "date", "duration", "email", "intent",
                          "money", "number", "percentage", "temperature"})
FILLER_DEFAULTS: dict[str, JsonValue] = {
    "usePositiveOnly": False, "removeNegated": False, "storeResultInContext": True,
    "storeInContactProfile": False, "profileKey": "", "storeDetailedResults": False,
    "skipIfResultInContext": False, "additionalValidation": "", "resultLocation": "context",
}


def _check_filler(values: dict[str, JsonValue]) -> None:
    kind = values.get("type")
    if kind not in FILLER_TYPES:
        raise wire.invalid("type", f"must be one of {', '.join(sorted(FILLER_TYPES))}")
    if kind == "regex" and not values.get("regex"):
        raise wire.missing("regex")
    if kind == "slot" and not values.get("slot"):
        raise wire.missing("slot")


def create_slot_filler(state: TenantState, flow: Doc, body: JsonValue, user: str,
                       now: float) -> Doc:
    values = wire.fields(body, FILLER_FIELDS, required=("name", "type"), ignore=("flowId",))
    name = wire.name_of(values)
    _check_filler(values)
    flow_id = str(flow.body["_id"])
    unique(state, "slotfiller", name, parent=flow_id)
    mongo_id = state.new_id()
    given = values.pop("referenceId", None)
    if given is not None and not wire.is_uuid(str(given)):
        raise wire.invalid("referenceId", "must be a UUID")
    full: dict[str, JsonValue] = {"referenceId": given or wire.reference_id(mongo_id),
                                  **FILLER_DEFAULTS, "contextKey": name, **values}
    doc = state.add("slotfiller", full, project=flow.projectId, parent=flow_id, user=user,
                    now=now, ident=mongo_id)
    out_of_date(state, [flow_id])
    return doc


def index_slot_fillers(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    keep = ("_id", "name", "type", "referenceId", "createdAt", "lastChanged", "createdBy",
            "lastChangedBy")
    items = [{k: copy.deepcopy(v) for k, v in d.body.items() if k in keep}
             for d in call.state.of_kind("slotfiller", parent=str(flow.body["_id"]))]
    return ok(wire.page(items, call.query))


def create_slot_filler_endpoint(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    return created(create_slot_filler(call.state, flow, call.body, call.user, call.now))


def _filler(call: Call) -> Doc:
    flow = call.doc("flow", "flowId", "Flow")
    return call.doc("slotfiller", "slotFillerId", "SlotFiller", parent=str(flow.body["_id"]))


def read_slot_filler(call: Call) -> wire.Answer:
    return ok(copy.deepcopy(_filler(call).body))


def update_slot_filler(call: Call) -> wire.Answer:
    filler = _filler(call)
    values = wire.fields(call.body, FILLER_FIELDS, ignore=("flowId", "slotFillerId"))
    if "referenceId" in values and values["referenceId"] != filler.body["referenceId"]:
        raise wire.invalid("referenceId", "cannot be changed")
    if "name" in values:
        unique(call.state, "slotfiller", wire.name_of(values), parent=filler.parent,
               other_than=str(filler.body["_id"]))
    merged = {**filler.body, **values}
    _check_filler(merged)
    filler.body.update(copy.deepcopy(values))
    call.state.touch(filler, call.user, call.now)
    out_of_date(call.state, [filler.parent])
    return ok({})


def delete_slot_filler(call: Call) -> wire.Answer:
    filler = _filler(call)
    call.state.remove(str(filler.body["_id"]))
    out_of_date(call.state, [filler.parent])
    return NO_CONTENT


# -- lexicons, lexicon slots, entries ------------------------------------------------------

LEXICON_FIELDS = {"projectId": "str", "name": "str", "description": "str",
                  "referenceId": "str"}


def index_lexicons(call: Call) -> wire.Answer:
    return ok(wire.page(bodies(call.state.of_kind("lexicon", project=call.scope())),
                        call.query))


def create_lexicon(call: Call) -> wire.Answer:
    values = wire.fields(call.body, LEXICON_FIELDS, required=("projectId", "name"))
    project = str(call.project(values.pop("projectId")).body["_id"])
    name = wire.name_of(values)
    unique(call.state, "lexicon", name, project=project)
    mongo_id = call.state.new_id()
    given = values.pop("referenceId", None)
    if given is not None and not wire.is_uuid(str(given)):
        raise wire.invalid("referenceId", "must be a UUID")
    return created(call.state.add("lexicon", {
        "name": name, "description": values.get("description", ""),
        "referenceId": given or wire.reference_id(mongo_id)},
        project=project, user=call.user, now=call.now, ident=mongo_id))


def read_lexicon(call: Call) -> wire.Answer:
    return ok(copy.deepcopy(call.doc("lexicon", "lexiconId", "Lexicon").body))


def _lexicon_written(call: Call, lexicon: Doc) -> None:
    call.state.touch(lexicon, call.user, call.now)
    out_of_date(call.state, flows_attaching(call.state, str(lexicon.body["_id"])))


def update_lexicon(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    values = wire.fields(call.body, {"name": "str", "description": "str"},
                         ignore=("lexiconId",))
    if "name" in values:
        unique(call.state, "lexicon", wire.name_of(values), project=lexicon.projectId,
               other_than=str(lexicon.body["_id"]))
    lexicon.body.update(values)
    _lexicon_written(call, lexicon)
    return ok({})


def delete_lexicon(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    ident = str(lexicon.body["_id"])
    flows = flows_attaching(call.state, ident)
    for flow_id in flows:
        attached = call.state.docs[flow_id].body["attachedLexicons"]
        assert isinstance(attached, list)
        attached.remove(ident)
    for child in [d for d in call.state.docs.values() if d.parent == ident]:
        call.state.remove(str(child.body["_id"]))
    call.state.remove(ident)
    out_of_date(call.state, flows)
    return NO_CONTENT


def index_lexicon_slots(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    return ok(wire.page(bodies(call.state.of_kind("lexiconslot",
                                                  parent=str(lexicon.body["_id"]))),
                        call.query))


def create_lexicon_slot(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    values = wire.fields(call.body, {"name": "str"}, required=("name",),
                         ignore=("lexiconId",))
    name = wire.name_of(values)
    unique(call.state, "lexiconslot", name, parent=str(lexicon.body["_id"]))
    doc = call.state.add("lexiconslot", {"name": name}, project=lexicon.projectId,
                         parent=str(lexicon.body["_id"]), user=call.user, now=call.now)
    _lexicon_written(call, lexicon)
    return created(doc)


def _lexicon_child(call: Call, kind: str, param: str, what: str) -> tuple[Doc, Doc]:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    return lexicon, call.doc(kind, param, what, parent=str(lexicon.body["_id"]))


def update_lexicon_slot(call: Call) -> wire.Answer:
    lexicon, slot = _lexicon_child(call, "lexiconslot", "slotId", "LexiconSlot")
    values = wire.fields(call.body, {"name": "str"}, ignore=("lexiconId", "slotId"))
    if "name" in values:
        unique(call.state, "lexiconslot", wire.name_of(values), parent=slot.parent,
               other_than=str(slot.body["_id"]))
    slot.body.update(values)
    call.state.touch(slot, call.user, call.now)
    _lexicon_written(call, lexicon)
    return ok({})


def delete_lexicon_slot(call: Call) -> wire.Answer:
    lexicon, slot = _lexicon_child(call, "lexiconslot", "slotId", "LexiconSlot")
    ident = str(slot.body["_id"])
    for entry in call.state.of_kind("lexiconentry", parent=slot.parent):
        refs = entry.body["slotReferences"]
        if isinstance(refs, list) and ident in refs:
            refs.remove(ident)
    call.state.remove(ident)
    _lexicon_written(call, lexicon)
    return NO_CONTENT


ENTRY_FIELDS = {"mainKeyphrase": "str", "keyphrases": "list", "slotReferences": "strlist",
                "data": "any"}


def _entry_values(call: Call, lexicon: Doc, values: dict[str, JsonValue],
                  current: dict[str, JsonValue]) -> dict[str, JsonValue]:
    if "slotReferences" in values:
        refs = values["slotReferences"]
        assert isinstance(refs, list)
        for ref in refs:
            call.state.get("lexiconslot", str(ref), "LexiconSlot",
                           parent=str(lexicon.body["_id"]))
    if "keyphrases" in values:
        phrases: list[JsonValue] = []
        raw = values["keyphrases"]
        assert isinstance(raw, list)
        for i, item in enumerate(raw):
            if isinstance(item, str):
                item = {"value": item}
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                raise wire.invalid(f"keyphrases[{i}]", "must be {value, isMainKeyphrase}")
            phrases.append({"_id": str(item.get("_id") or call.state.new_id()),
                            "value": item["value"],
                            "isMainKeyphrase": bool(item.get("isMainKeyphrase", False))})
        values["keyphrases"] = phrases
    if "data" in values and not isinstance(values["data"], str):
        values["data"] = _json_text(values["data"])
    merged = {**current, **values}
    if not isinstance(merged.get("mainKeyphrase"), str) or not merged["mainKeyphrase"]:
        raise wire.missing("mainKeyphrase")
    return values


def _json_text(value: JsonValue) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def index_lexicon_entries(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    return ok(wire.page(bodies(call.state.of_kind("lexiconentry",
                                                  parent=str(lexicon.body["_id"]))),
                        call.query))


def create_lexicon_entry(call: Call) -> wire.Answer:
    lexicon = call.doc("lexicon", "lexiconId", "Lexicon")
    values = _entry_values(call, lexicon, wire.fields(call.body, ENTRY_FIELDS,
                                                       ignore=("lexiconId",)), {})
    body: dict[str, JsonValue] = {"slotReferences": [], "data": "{}", "keyphrases": [],
                                  **values}
    doc = call.state.add("lexiconentry", body, project=lexicon.projectId,
                         parent=str(lexicon.body["_id"]), user=call.user, now=call.now)
    _lexicon_written(call, lexicon)
    return created(doc)


def update_lexicon_entry(call: Call) -> wire.Answer:
    lexicon, entry = _lexicon_child(call, "lexiconentry", "entryId", "LexiconEntry")
    values = _entry_values(call, lexicon, wire.fields(call.body, ENTRY_FIELDS,
                                                       ignore=("lexiconId", "entryId")),
                           entry.body)
    entry.body.update(values)
    call.state.touch(entry, call.user, call.now)
    _lexicon_written(call, lexicon)
    return ok({})


def delete_lexicon_entry(call: Call) -> wire.Answer:
    lexicon, entry = _lexicon_child(call, "lexiconentry", "entryId", "LexiconEntry")
    call.state.remove(str(entry.body["_id"]))
    _lexicon_written(call, lexicon)
    return NO_CONTENT


# -- charts and chart nodes ---------------------------------------------------------------

NODE_FIELDS = {"type": "str", "extension": "str", "label": "str", "comment": "str",
               "commentColor": "str", "config": "any", "isDisabled": "bool",
               "isEntryPoint": "bool", "analyticsLabel": "str", "preview": "any",
               "mode": "str", "target": "str", "position": "int", "explicit": "bool",
               "localeId": "str", "resourceType": "str"}
NODE_INDEX_KEYS = ("_id", "referenceId", "type", "label", "analyticsLabel", "comment",
                   "commentColor", "isEntryPoint", "isDisabled", "extension")


def _node_body(state: TenantState, flow: Doc, values: dict[str, JsonValue]) -> dict[
        str, JsonValue]:
    return {"referenceId": "", "type": values["type"],
            "label": values.get("label", values["type"]),
            "comment": values.get("comment", ""), "commentColor": values.get("commentColor",
                                                                             "blue"),
            "preview": values.get("preview"), "isEntryPoint": values.get("isEntryPoint",
                                                                        False),
            "isDisabled": values.get("isDisabled", False), "config": values.get("config", {}),
            "extension": values.get("extension", "@cognigy/basic-nodes"),
            "localeReference": flow.body["localeReference"],
            "analyticsLabel": values.get("analyticsLabel", "")}


def _nodes(state: TenantState, flow: Doc) -> list[Doc]:
    return list(state.of_kind("chartnode", parent=str(flow.body["_id"])))


def read_chart(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    nodes = _nodes(call.state, flow)
    return ok({
        "_id": flow.body["intentTrainGroupReference"],
        "nodes": [{k: copy.deepcopy(n.body.get(k)) for k in NODE_INDEX_KEYS} for n in nodes],
        "relations": [{"_id": n.body["_id"], "node": n.body["_id"],
                       "children": list(n.children), "next": n.next} for n in nodes],
    })


def index_chart_nodes(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    items = [{k: copy.deepcopy(n.body.get(k)) for k in NODE_INDEX_KEYS}
             for n in _nodes(call.state, flow)]
    return ok(wire.page(items, call.query))


def _link(state: TenantState, flow: Doc, node: Doc, mode: str, target: Doc,
          position: int | None) -> None:
    nodes = _nodes(state, flow)
    ident = str(node.body["_id"])
    if mode in ("append", "insertAfter"):
        node.next, target.next = target.next, ident
    elif mode in ("prepend", "insertBefore"):
        node.next = str(target.body["_id"])
        for other in nodes:
            if other.next == target.body["_id"] and other is not node:
                other.next = ident
            if target.body["_id"] in other.children:
                at = other.children.index(str(target.body["_id"]))
                other.children[at] = ident
    elif mode == "appendChild":
        target.children.append(ident)
    elif mode == "prependChild":
        target.children.insert(0, ident)
    else:
        target.children.insert(position if position is not None else len(target.children),
                               ident)


def create_chart_node(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    values = wire.fields(call.body, NODE_FIELDS, required=("type", "mode", "target"),
                         ignore=("resourceId",))
    mode = str(values["mode"])
    if mode not in NODE_MODES:
        raise wire.invalid("mode", f"must be one of {', '.join(sorted(NODE_MODES))}")
    if values["type"] in ("start", "end"):
        raise wire.invalid("type", "a flow has exactly one start and one end node")
    target = call.state.get("chartnode", str(values["target"]), "ChartNode",
                            parent=str(flow.body["_id"]))
    if mode in ("append", "insertAfter") and target.body["type"] == "end":
        raise wire.invalid("target", "nothing can follow the end node")
    if mode in ("prepend", "insertBefore") and target.body["type"] == "start":
        raise wire.invalid("target", "nothing can precede the start node")
    node = call.state.add("chartnode", _node_body(call.state, flow, values),
                          project=flow.projectId, parent=str(flow.body["_id"]),
                          user=call.user, now=call.now, meta=False)
    node.body["referenceId"] = wire.reference_id(str(node.body["_id"]))
    position = values.get("position")
    _link(call.state, flow, node, mode, target, position if isinstance(position, int)
          else None)
    return created(node)


def _node(call: Call) -> Doc:
    flow = call.doc("flow", "flowId", "Flow")
    return call.doc("chartnode", "nodeId", "ChartNode", parent=str(flow.body["_id"]))


def read_chart_node(call: Call) -> wire.Answer:
    node = _node(call)
    flow = call.state.docs[node.parent]
    if "preferredLocaleId" in call.query:
        locale_of(call.state, flow.projectId, call.query["preferredLocaleId"])
    return ok(copy.deepcopy(node.body))


def update_chart_node(call: Call) -> wire.Answer:
    node = _node(call)
    values = wire.fields(call.body, NODE_FIELDS, ignore=("resourceId", "nodeId",
                                                         "resourceType"))
    for frozen in ("type", "extension", "mode", "target", "position", "explicit"):
        if frozen in values:
            raise wire.invalid(frozen, "cannot be changed by an update")
    if "localeId" in values:
        locale_of(call.state, node.projectId, str(values.pop("localeId")))
    node.body.update(copy.deepcopy(values))
    return ok({})


def delete_chart_node(call: Call) -> wire.Answer:
    node = _node(call)
    if node.body["type"] in ("start", "end"):
        raise wire.invalid("nodeId", "the start and end nodes cannot be deleted")
    ident = str(node.body["_id"])
    for other in _nodes(call.state, call.state.docs[node.parent]):
        if other.next == ident:
            other.next = node.next
        if ident in other.children:
            at = other.children.index(ident)
            other.children[at:at + 1] = node.children
    call.state.remove(ident)
    return NO_CONTENT


# -- connections --------------------------------------------------------------------------

CONNECTION_FIELDS = {"projectId": "str", "name": "str", "type": "str", "extension": "str",
                     "fields": "obj", "referenceId": "str", "isDeprecated": "bool"}


def _masked(doc: Doc) -> dict[str, JsonValue]:
    body = copy.deepcopy(doc.body)
    body["fields"] = {key: MASK for key in doc.secret}
    return body


def _check_fields(values: JsonValue) -> dict[str, JsonValue]:
    if not isinstance(values, dict) or not 1 <= len(values) <= 10:
        raise wire.invalid("fields", "must be an object with 1 to 10 properties")
    return copy.deepcopy(values)


def index_connections(call: Call) -> wire.Answer:
    items = [{k: v for k, v in _masked(d).items() if k != "fields"}
             for d in call.state.of_kind("connection", project=call.scope())]
    return ok(wire.page(items, call.query))


def create_connection(call: Call) -> wire.Answer:
    values = wire.fields(call.body, CONNECTION_FIELDS,
                         required=("projectId", "name", "type", "extension", "fields"))
    project = str(call.project(values.pop("projectId")).body["_id"])
    name = wire.name_of(values)
    unique(call.state, "connection", name, project=project)
    secret = _check_fields(values.pop("fields"))
    mongo_id = call.state.new_id()
    given = values.pop("referenceId", None)
    if given is not None and not wire.is_uuid(str(given)):
        raise wire.invalid("referenceId", "must be a UUID")
    doc = call.state.add("connection", {
        "referenceId": given or wire.reference_id(mongo_id), "name": name,
        "isDeprecated": values.get("isDeprecated", False), "fields": {},
        "extension": values["extension"], "type": values["type"]},
        project=project, user=call.user, now=call.now, ident=mongo_id)
    doc.secret = secret
    return created(_masked(doc))


def read_connection(call: Call) -> wire.Answer:
    return ok(_masked(call.doc("connection", "connectionId", "Connection")))


def update_connection(call: Call) -> wire.Answer:
    doc = call.doc("connection", "connectionId", "Connection")
    values = wire.fields(call.body, {"fields": "obj"}, ignore=("connectionId",))
    if "fields" in values:
        doc.secret = _check_fields(values["fields"])
    call.state.touch(doc, call.user, call.now)
    return ok({})


def delete_connection(call: Call) -> wire.Answer:
    call.state.remove(str(call.doc("connection", "connectionId", "Connection").body["_id"]))
    return NO_CONTENT


def index_connection_schemas(call: Call) -> wire.Answer:
    call.scope()
    items: list[dict[str, JsonValue]] = []
    for n, (kind, label, names) in enumerate(CONNECTION_SCHEMAS):
        items.append({"_id": f"{0x5c4e:010x}{n + 1:014x}", "extension": "@cognigy/basic-nodes",
                      "type": kind, "label": label,
                      "fields": [{"fieldName": f, "required": True, "label": f}
                                 for f in names],
                      "createdAt": 0, "lastChanged": 0, "createdBy": "", "lastChangedBy": ""})
    return ok(wire.page(items, call.query))


# -- intents ------------------------------------------------------------------------------

def intents_of(state: TenantState, flow_id: str) -> list[Doc]:
    return list(state.of_kind("intent", parent=flow_id))


def examples_of(state: TenantState, flow_id: str) -> list[nlu.IntentExamples]:
    return [nlu.IntentExamples(str(d.body["name"]), d.examples)
            for d in intents_of(state, flow_id) if not d.body.get("isDisabled")]


def _intent_body(doc: Doc, with_report: bool) -> dict[str, JsonValue]:
    body = copy.deepcopy(doc.body)
    if not with_report:
        body.pop("feedbackReport", None)
    return body


def index_intents(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    report = wire.flag(call.query, "includeFeedbackReport")
    items = [_intent_body(d, report) for d in intents_of(call.state, str(flow.body["_id"]))]
    return ok(wire.page(items, call.query))


def read_intent(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    intent = call.doc("intent", "intentId", "Intent", parent=str(flow.body["_id"]))
    body = _intent_body(intent, True)
    body["exampleSentences"] = list[JsonValue](intent.examples)
    return ok(body)


E = Endpoint
ENDPOINTS: list[Endpoint] = [
    E("GET", "/users/me", read_user_me, "readUserMe"),
    E("GET", "/projects", index_projects, "indexProjects"),
    E("GET", "/projects/{projectId}", read_project, "readProject"),
    E("GET", "/locales", index_locales, "indexLocales"),
    E("GET", "/locales/{localeId}", read_locale, "readLocale"),
    E("GET", "/flows", index_flows, "indexFlows"),
    E("POST", "/flows", create_flow, "createFlow"),
    E("GET", "/flows/{flowId}", read_flow, "readFlow"),
    E("PATCH", "/flows/{flowId}", update_flow, "updateFlow"),
    E("DELETE", "/flows/{flowId}", delete_flow, "deleteFlow"),
    E("GET", "/flows/{flowId}/slotfillers", index_slot_fillers, "indexSlotFillers"),
    E("POST", "/flows/{flowId}/slotfillers", create_slot_filler_endpoint, "createSlotFiller"),
    E("GET", "/flows/{flowId}/slotfillers/{slotFillerId}", read_slot_filler,
      "readSlotFiller"),
    E("PATCH", "/flows/{flowId}/slotfillers/{slotFillerId}", update_slot_filler,
      "updateSlotFiller"),
    E("DELETE", "/flows/{flowId}/slotfillers/{slotFillerId}", delete_slot_filler,
      "deleteSlotFiller"),
    E("GET", "/lexicons", index_lexicons, "indexLexicons"),
    E("POST", "/lexicons", create_lexicon, "createLexicon"),
    E("GET", "/lexicons/{lexiconId}", read_lexicon, "readLexicon"),
    E("PATCH", "/lexicons/{lexiconId}", update_lexicon, "updateLexicon"),
    E("DELETE", "/lexicons/{lexiconId}", delete_lexicon, "deleteLexicon"),
    E("GET", "/lexicons/{lexiconId}/slots", index_lexicon_slots, "indexLexiconSlots"),
    E("POST", "/lexicons/{lexiconId}/slots", create_lexicon_slot, "createLexiconSlot"),
    E("PATCH", "/lexicons/{lexiconId}/slots/{slotId}", update_lexicon_slot,
      "updateLexiconSlot"),
    E("DELETE", "/lexicons/{lexiconId}/slots/{slotId}", delete_lexicon_slot,
      "deleteLexiconSlot"),
    E("GET", "/lexicons/{lexiconId}/entries", index_lexicon_entries, "indexLexiconEntries"),
    E("POST", "/lexicons/{lexiconId}/entries", create_lexicon_entry, "createLexiconEntry"),
    E("PATCH", "/lexicons/{lexiconId}/entries/{entryId}", update_lexicon_entry,
      "updateLexiconEntry"),
    E("DELETE", "/lexicons/{lexiconId}/entries/{entryId}", delete_lexicon_entry,
      "deleteLexiconEntry"),
    E("GET", "/flows/{flowId}/chart", read_chart, "readChart"),
    E("GET", "/flows/{flowId}/chart/nodes", index_chart_nodes, "indexChartNodes"),
    E("POST", "/flows/{flowId}/chart/nodes", create_chart_node, "createChartNode"),
    E("GET", "/flows/{flowId}/chart/nodes/{nodeId}", read_chart_node, "readChartNode"),
    E("PATCH", "/flows/{flowId}/chart/nodes/{nodeId}", update_chart_node, "updateChartNode"),
    E("DELETE", "/flows/{flowId}/chart/nodes/{nodeId}", delete_chart_node,
      "deleteChartNode"),
    E("GET", "/connections", index_connections, "indexConnections"),
    E("POST", "/connections", create_connection, "createConnection"),
    E("GET", "/connections/schemas", index_connection_schemas, "indexConnectionSchemas"),
    E("GET", "/connections/{connectionId}", read_connection, "readConnection"),
    E("PATCH", "/connections/{connectionId}", update_connection, "updateConnection"),
    E("DELETE", "/connections/{connectionId}", delete_connection, "deleteConnection"),
    E("GET", "/flows/{flowId}/intents", index_intents, "indexIntents"),
    E("GET", "/flows/{flowId}/intents/{intentId}", read_intent, "readIntent"),
]
