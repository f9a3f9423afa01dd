"""A session's context on Cognigy.AI: read (``GET /sessions/{id}/state``), inject, as variables.

``shared/cognigy-ai-v2.md`` 3.5: a session is addressed by its id and, to write, the user it
belongs to; there is no version, so an inject is last-writer-wins (said to the user by the
command). Inject merges the given keys into the session's context and answers the resulting
context. Reading is ``GET /sessions/{id}/state``, which the official MCP server calls and
RAC 0.19.0 does not have: its shape is read tolerantly (``context`` at the top level or
under ``data``), in this module only. A 404 that is not a Cognigy "not found" answer (no
RFC 7807 ``code``), or a 405/501, means the tenant does not serve that read: a
``NotAvailableError`` naming the endpoint, never a guess.

As variables, the context's keys are ``session`` scope; values are the native JSON values,
a string as it is and anything else as its compact JSON text (the form the Platform API
sends and ``ops.sessions`` types back). System variables are the keys starting with ``_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

from reconciler import errors, jsontypes
from reconciler.backend.cognigy_ai import http
from reconciler.core import livetypes as lt

SESSION_SCOPE = "session"


class NotServedError(errors.BackendError):
    """The tenant does not serve this read (and cogctl cannot answer without it)."""


def _path(session_id: str, tail: str) -> str:
    return f"/sessions/{quote(session_id, safe='')}/{tail}"


def _not_served(exc: errors.BackendError) -> bool:
    if exc.status in (405, 501):
        return True
    # A route the server lacks answers 404 without Cognigy's "resource not found" code.
    return exc.status == 404 and exc.code != "not_found"


async def read_state(requester: http.Requester, session_id: str) -> dict[str, Any]:
    path = _path(session_id, "state")
    try:
        return await requester.get(path)
    except errors.BackendError as exc:
        if _not_served(exc):
            raise NotServedError(
                f"GET {path} answered {exc.status}: this tenant does not serve a session's "
                "context", method="GET", path=path, status=exc.status,
                hint="session vars and reading a conversation's context are not available "
                     "on this api for this tenant") from exc
        if isinstance(exc, errors.NotFoundError):
            raise errors.NotFoundError(f"session {session_id!r} does not exist on the tenant",
                                       method="GET", path=path, status=exc.status,
                                       code=exc.code, hint="check the session id") from exc
        raise


def context_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """The context of a session state answer, wherever it sits; ``{}`` when absent."""
    for holder in (state, state.get("data")):
        if isinstance(holder, Mapping) and isinstance(holder.get("context"), dict):
            return dict(holder["context"])
    return {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else jsontypes.dumps(value, compact=True)


def variables(context: Mapping[str, Any], *, name: str | None, scope: str | None,
              include_system: bool) -> list[lt.SessionVariable]:
    """The context's keys as session variables, filtered as the Platform API filters."""
    if scope is not None and scope != SESSION_SCOPE:
        return []
    found = []
    for key in sorted(context):
        if key.startswith("_") and not include_system:
            continue
        if name is not None and not key.startswith(name):
            continue
        value = context[key]
        found.append(cast(lt.SessionVariable, {
            "name": key, "value": _text(value), "scope": SESSION_SCOPE,
            "type": "string" if isinstance(value, str) else "json"}))
    return found


def conversation_context(session_id: str, state: Mapping[str, Any]) -> lt.ConversationContext:
    """A session's context as the core's conversation context: every value in the entry
    form at ``session`` scope (it is the session's own, so it wins over the flow's defaults,
    which it started from). The version is advisory (``lastChanged``): nothing checks it."""
    version = state.get("lastChanged")
    entries = {key: {"value": value, "scope": SESSION_SCOPE}
               for key, value in context_of(state).items()}
    return {"conversationId": session_id, "contextVersion": f"lastChanged:{version}",
            "context": cast(dict[str, lt.Json], entries)}


async def inject(requester: http.Requester, session_id: str, user_id: str,
                 values: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``values`` into the session's context; returns the resulting context."""
    answer = await requester.request(
        "POST", _path(session_id, "context/inject"), repeatable=True,
        json={"userId": user_id, "context": dict(values)})
    return http.expect_object(answer, "POST", _path(session_id, "context/inject"))
