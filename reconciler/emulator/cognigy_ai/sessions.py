"""Session context (inject, reset, read), contact profiles and the profile schema.

Inject merges the given keys into the session's context (keys not given are kept) and
answers the resulting context; a context over ``settings.contextLimitBytes`` is ``400``.
Reset replaces the context with the default context of the flow named by
``flowReferenceId`` (referenceId or ``_id``). Sessions unknown to the tenant are created by
inject and reset. ``GET /sessions/{id}/state`` answers ``{sessionId, userId, projectId,
state, context, lastChanged}`` (the emulator's shape; the real one is not documented).
"""

from __future__ import annotations

import copy

from reconciler.emulator.cognigy_ai import resources, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.records import SessionRecord


def _session(call: Call, user_id: str) -> SessionRecord:
    ident = call.params["sessionId"]
    session = call.state.sessions.get(ident)
    if session is None:
        session = SessionRecord(sessionId=ident, userId=user_id)
        call.state.sessions[ident] = session
    session.userId = user_id or session.userId
    return session


def inject_context(call: Call) -> wire.Answer:
    values = wire.fields(call.body, {"userId": "str", "context": "obj"},
                         required=("userId", "context"), ignore=("sessionId",))
    context = values["context"]
    assert isinstance(context, dict)
    session = _session(call, str(values["userId"]))
    merged = {**session.context, **copy.deepcopy(context)}
    resources.check_context(call.state, merged)
    session.context = merged
    session.lastChanged = int(call.now)
    return resources.ok(copy.deepcopy(merged))


def reset_context(call: Call) -> wire.Answer:
    values = wire.fields(call.body, {"userId": "str", "flowReferenceId": "str",
                                     "entrypoint": "str"},
                         required=("userId", "flowReferenceId", "entrypoint"),
                         ignore=("sessionId",))
    wanted = str(values["flowReferenceId"])
    flow = next((f for f in call.state.of_kind("flow")
                 if wanted in (f.body["referenceId"], f.body["_id"])), None)
    if flow is None:
        raise wire.not_found("Flow", wanted)
    session = _session(call, str(values["userId"]))
    default = flow.body.get("context") or {}
    assert isinstance(default, dict)
    session.context = copy.deepcopy(default)
    session.projectId = flow.projectId
    session.lastChanged = int(call.now)
    return resources.ok(copy.deepcopy(session.context))


def read_session_state(call: Call) -> wire.Answer:
    session = call.state.sessions.get(call.params["sessionId"])
    if session is None:
        raise wire.not_found("Session", call.params["sessionId"])
    return resources.ok({"sessionId": session.sessionId, "userId": session.userId,
                         "projectId": session.projectId, "state": session.state,
                         "context": copy.deepcopy(session.context),
                         "lastChanged": session.lastChanged})


def index_profiles(call: Call) -> wire.Answer:
    return resources.ok(wire.page(resources.bodies(call.state.of_kind(
        "profile", project=call.scope())), call.query))


def read_profile(call: Call) -> wire.Answer:
    return resources.ok(copy.deepcopy(call.doc("profile", "profileId", "Profile").body))


def get_profile_schema(call: Call) -> wire.Answer:
    project = str(call.doc("project", "projectId", "Project").body["_id"])
    details = call.state.profileSchemas.setdefault(project, [])
    schema = {str(d["internal"]): d["type"] for d in details}
    return resources.ok({"schema": schema, "details": copy.deepcopy(details)})  # type: ignore[dict-item]


def set_profile_schema(call: Call) -> wire.Answer:
    project = str(call.doc("project", "projectId", "Project").body["_id"])
    values = wire.fields(call.body, {"details": "list"}, required=("details",),
                         ignore=("projectId",))
    raw = values["details"]
    assert isinstance(raw, list)
    details = []
    for i, item in enumerate(raw):
        entry = wire.fields(item, {"field": "str", "internal": "str", "type": "str"},
                            required=("field", "internal", "type"))
        if entry["type"] not in ("string", "object", "number", "boolean"):
            raise wire.invalid(f"details[{i}].type",
                               "must be string, object, number or boolean")
        details.append(entry)
    call.state.profileSchemas[project] = details
    return resources.ok({})


ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", "/sessions/{sessionId}/context/inject", inject_context, "injectContext"),
    Endpoint("POST", "/sessions/{sessionId}/context/reset", reset_context, "resetContext"),
    Endpoint("GET", "/sessions/{sessionId}/state", read_session_state, "(none: MCP)"),
    Endpoint("GET", "/profiles", index_profiles, "indexProfiles"),
    Endpoint("GET", "/profiles/{profileId}", read_profile, "readProfile"),
    Endpoint("GET", "/profiles/schema/{projectId}", get_profile_schema, "getProfileSchema"),
    Endpoint("PUT", "/profiles/schema/{projectId}", set_profile_schema, "setProfileSchema"),
]
