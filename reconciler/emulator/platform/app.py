"""``create_app``: the emulator as a Starlette application.

Every endpoint of the contract runs through ``dispatching``'s pipeline; ``/openapi.json``
serves the packaged copy of ``schemas/cognigy-api.openapi.yaml`` as JSON; ``/_emulator/``
holds the admin endpoints. Unknown paths and methods answer the contract's JSON error body.
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
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from reconciler.emulator.platform import (
    admin,
    auth,
    bots,
    contexts,
    dispatching,
    integrations,
    sessions,
    simulations,
    slots,
    wire,
)
from reconciler.emulator.platform.state import TenantState

# A packaged copy of schemas/cognigy-api.openapi.yaml (the source, kept byte-identical by
# ``make schemas``), so an installed wheel serves it too.
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.yaml"


def _token(call: dispatching.Call) -> wire.Answer:
    return auth.issue_token(call.state, call.raw, call.header("authorization"), call.now)


ENDPOINTS: list[dispatching.Endpoint] = [
    dispatching.Endpoint("POST", auth.TOKEN_PATH, _token, public=True),
    *(dispatching.Endpoint("POST", alias, _token, public=True)
      for alias in auth.TOKEN_PATH_ALIASES),
    *bots.ENDPOINTS,
    *integrations.ENDPOINTS,
    *slots.ENDPOINTS,
    *contexts.ENDPOINTS,
    *sessions.ENDPOINTS,
    *simulations.ENDPOINTS,
]


@functools.lru_cache(maxsize=1)
def openapi_document() -> str:
    """The OpenAPI document as JSON text (read once)."""
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        return json.dumps(yaml.safe_load(handle))


async def _openapi(request: Request) -> Response:
    try:
        text = openapi_document()
    except OSError:
        return JSONResponse({"error": "not_found", "message": "OpenAPI document not installed",
                             "details": []}, status_code=404)
    return Response(text, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
    return JSONResponse({"error": code, "message": str(exc.detail), "details": []},
                        status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug of the emulator still answers in the contract's shape (and is logged by the
    server): a client never has to parse a plain-text page."""
    return JSONResponse({"error": "internal_error",
                         "message": f"the emulator failed: {type(exc).__name__}",
                         "details": []}, status_code=500)


class _Methods:
    """One path's endpoints by method; another method is ``405`` with the right ``Allow``,
    answered through the same pipeline (rate limit, headers, request log)."""

    def __init__(self, emulator: dispatching.Emulator, path: str,
                 apps: dict[str, dispatching.EndpointApp]) -> None:
        self.apps = apps
        self.allow = ", ".join(sorted(apps))
        self.emulator = emulator
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.apps.get(scope["method"])
        if endpoint is None:
            refusal = dispatching.refusal(
                self.path, 405, "method_not_allowed",
                f"{scope['method']} is not allowed here; allowed: {self.allow}",
                headers={"Allow": self.allow},
            )
            endpoint = dispatching.EndpointApp(self.emulator, refusal)
        await endpoint(scope, receive, send)


class _Unknown:
    """Any path the contract does not have: ``404 not_found`` through the pipeline."""

    def __init__(self, emulator: dispatching.Emulator) -> None:
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        refusal = dispatching.refusal(path, 404, "not_found",
                                      f"no such path in the Platform API: {path}")
        await dispatching.EndpointApp(self.emulator, refusal)(scope, receive, send)


def create_app(
    state: TenantState,
    *,
    clock: Callable[[], float] | None = None,
    state_path: Path | None = None,
) -> Starlette:
    """The emulator over ``state`` (mutated in place). ``clock`` (seconds, default
    ``time.time``) drives training, simulations, token expiry and rate-limit windows;
    ``state_path`` saves the state atomically after every write request."""
    emulator = dispatching.Emulator(state=state, clock=clock or time.time,
                                    state_path=state_path)
    by_path: dict[str, dict[str, dispatching.EndpointApp]] = {}
    for ep in ENDPOINTS:
        by_path.setdefault(ep.path, {})[ep.method] = dispatching.EndpointApp(emulator, ep)
    routes = [Route(path, _Methods(emulator, path, apps)) for path, apps in by_path.items()]
    routes.append(Route("/openapi.json", _openapi, methods=["GET"]))
    routes.extend(admin.Admin(emulator).routes())
    routes.append(Route("/{anything:path}", _Unknown(emulator)))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error,
                                                          Exception: _internal_error})
    app.state.emulator = emulator
    return app
