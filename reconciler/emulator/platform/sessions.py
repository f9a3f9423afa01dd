"""Session variables (v2): ``GET /api/v2/botsessions/{sessionId}/variables``.

Values arrive as strings: strings as they are, everything else as compact JSON (``42``,
``true``, ``{"a":1}``); ``type`` names the original JSON type unless the fixture set one.
Names starting with ``_`` are system variables, left out unless ``includeSystem=true``;
``name`` filters by prefix, ``scope`` by equality. ``limit``/``offset`` page the list and
``pagination`` is ``{"total", "limit", "offset"}``.
"""

from __future__ import annotations

from pydantic import JsonValue

from reconciler import jsontypes
from reconciler.emulator.platform import records, wire
from reconciler.emulator.platform.dispatching import Call, Endpoint

SCOPES = ("global", "bot", "session", "user")


def _as_string(value: JsonValue) -> str:
    if isinstance(value, str):
        return value
    return jsontypes.dumps(value, compact=True)


def _type_of(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "null" if value is None else "object"


def render(var: records.VariableRecord) -> dict[str, JsonValue]:
    return {"name": var.name, "value": _as_string(var.value), "scope": var.scope,
            "type": var.type or _type_of(var.value)}


def get_variables(call: Call) -> wire.Answer:
    session = call.owned(call.state.sessions, "session", call.params["sessionId"],
                         lambda s: s.botId)
    prefix = call.query.get("name", "")
    scope = call.query.get("scope")
    if scope is not None and scope not in SCOPES:
        raise wire.invalid("scope", f"must be one of {', '.join(SCOPES)}")
    flag = call.query.get("includeSystem", "false")
    if flag not in ("true", "false"):
        raise wire.invalid("includeSystem", "must be true or false")
    include_system = flag == "true"
    chosen = [v for v in session.variables
              if v.name.startswith(prefix) and (not scope or v.scope == scope)
              and (include_system or not v.name.startswith("_"))]
    listed = wire.page(chosen, call.query, render)
    body: dict[str, JsonValue] = {
        "sessionId": call.params["sessionId"],
        "variables": listed["data"],
        "pagination": {"total": listed["total"], "limit": listed["limit"],
                       "offset": listed["offset"]},
    }
    return wire.Answer(200, body)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/api/v2/botsessions/{sessionId}/variables", get_variables,
             ("session:read", "variable:read")),
]
