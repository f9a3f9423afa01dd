"""``create_app``: the Cognigy.AI emulator as a Starlette application.

Every endpoint is served under ``/new/v2.0`` (the official client's prefix) and ``/v2.0``
(the documentation's); ``/openapi.json`` serves the packaged copy of
``schemas/cognigy-ai.openapi.yaml``; ``/_emulator/`` holds the admin endpoints. Unknown
paths and methods answer RFC 7807 bodies.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reconciler.emulator.cognigy_ai import (
    admin,
    dispatching,
    playbooks,
    resources,
    sessions,
    snapshots,
    tasks,
    wire,
)
from reconciler.emulator.cognigy_ai.calls import Endpoint
from reconciler.emulator.cognigy_ai.state import TenantState

OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"
PREFIXES = ("/new/v2.0", "/v2.0")
ENDPOINTS: list[Endpoint] = [*resources.ENDPOINTS, *tasks.ENDPOINTS, *playbooks.ENDPOINTS,
                             *sessions.ENDPOINTS, *snapshots.ENDPOINTS]


@functools.lru_cache(maxsize=1)
def openapi_document() -> str:
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        return json.dumps(yaml.safe_load(handle))


async def _openapi(request: Request) -> Response:
    try:
        text = openapi_document()
    except OSError:
        return dispatching.respond(wire.ApiError(404, "OpenAPI document not installed")
                                   .answer(instance=request.url.path))
    return Response(text, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = wire.ApiError(exc.status_code, str(exc.detail),
                          code=1002 if exc.status_code == 404 else None)
    return dispatching.respond(error.answer(instance=request.url.path))


class _Methods:
    """One path's endpoints by method; another method is ``405`` with ``Allow``."""

    def __init__(self, apps: dict[str, dispatching.EndpointApp]) -> None:
        self.apps = apps
        self.allow = ", ".join(sorted(apps))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.apps.get(scope["method"])
        if endpoint is None:
            error = wire.ApiError(405, f"{scope['method']} is not allowed here; allowed: "
                                  f"{self.allow}", code=1013, headers={"Allow": self.allow})
            await dispatching.respond(error.answer(instance=scope["path"]))(scope, receive,
                                                                            send)
            return
        await endpoint(scope, receive, send)


def create_app(state: TenantState, *, clock: Callable[[], float] | None = None,
               state_path: Path | None = None) -> Starlette:
    """The emulator over ``state`` (mutated in place). ``clock`` (seconds, default
    ``time.time``) drives tasks and rate-limit windows; ``state_path`` saves the state
    atomically after every write request."""
    emulator = dispatching.Emulator(state=state, clock=clock or time.time,
                                    state_path=state_path)
    by_path: dict[str, dict[str, dispatching.EndpointApp]] = {}
    for ep in ENDPOINTS:
        for prefix in PREFIXES:
            by_path.setdefault(prefix + ep.path, {})[ep.method] = dispatching.EndpointApp(
                emulator, ep)
    # Literal segments before parameters: /connections/schemas before /connections/{id}.
    ordered = sorted(by_path, key=lambda p: (p.count("{"), p))
    routes = [Route(path, _Methods(by_path[path])) for path in ordered]
    routes.append(Route("/openapi.json", _openapi, methods=["GET"]))
    routes.extend(admin.Admin(emulator).routes())
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.state.emulator = emulator
    return app
