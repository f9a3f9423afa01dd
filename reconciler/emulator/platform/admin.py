"""Test-only admin endpoints under ``/_emulator/``: no bearer token, loopback clients only.

``GET /_emulator/requests`` answers the request log as a JSON array of ``{"ts", "method",
"path", "status", "clientId", "idempotencyKey", "fault"}`` (admin requests are not logged;
``status`` is null for a dropped connection); ``DELETE`` clears it. ``PUT /_emulator/faults``
sets injected faults (``{}`` clears them), ``GET`` reads them. ``POST /_emulator/reset`` goes
back to the fixture (tokens and the request log survive). ``GET /_emulator/state`` answers
the whole state. Admin requests are neither rate-limited nor faulted.
"""

from __future__ import annotations

import ipaddress

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler import jsontypes
from reconciler.emulator.platform import records, wire
from reconciler.emulator.platform.dispatching import Emulator


def is_loopback(request: Request) -> bool:
    """Whether the request comes from this machine: the admin endpoints answer nothing else."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _error(err: wire.ApiError) -> Response:
    answer = err.answer()
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


class Admin:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/requests", self.requests, methods=["GET", "DELETE"]),
            Route("/_emulator/faults", self.faults, methods=["GET", "PUT"]),
            Route("/_emulator/reset", self.reset, methods=["POST"]),
            Route("/_emulator/state", self.state, methods=["GET"]),
        ]

    def _refuse(self, request: Request) -> Response | None:
        if is_loopback(request):
            return None
        return _error(wire.ApiError(403, "forbidden", "admin endpoints answer loopback only"))

    async def requests(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        state = self.emulator.state
        if request.method == "DELETE":
            state.requests.clear()
            self.emulator.persist()
            return Response(status_code=204)
        return JSONResponse([e.model_dump(mode="json") for e in state.requests])

    async def faults(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        state = self.emulator.state
        if request.method == "PUT":
            try:
                config = records.FaultConfig.model_validate(
                    jsontypes.loads(await request.body() or b"{}"))
            except ValueError as exc:
                if isinstance(exc, ValidationError):
                    return _error(wire.from_validation_error(exc))
                return _error(wire.invalid("(body)", f"not valid JSON: {exc}"))
            state.faults = config
            self.emulator.persist()
        return JSONResponse(state.faults.model_dump(mode="json"))

    async def reset(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        self.emulator.state.reset()
        self.emulator.persist()
        return Response(status_code=204)

    async def state(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        return JSONResponse(self.emulator.state.model_dump(mode="json"))
