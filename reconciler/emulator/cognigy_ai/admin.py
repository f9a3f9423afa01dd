"""Test-only admin endpoints under ``/_emulator/``: no API key, loopback clients only.

``GET /_emulator/requests`` answers the request log as a JSON array of ``{ts, method, path,
status, client, userId, fault}`` (admin requests are not logged; ``status`` is null for a
dropped connection); ``DELETE`` clears it. ``PUT /_emulator/faults`` sets injected faults
(the Platform emulator's format: ``rate``, ``kinds``, ``seed``, ``sequence``,
``timeoutSeconds``; ``{}`` clears them), ``GET`` reads them. ``POST /_emulator/reset`` goes
back to the fixture (the request log survives). ``GET /_emulator/state`` answers the whole
state. Admin requests are neither rate-limited nor faulted.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler import jsontypes
from reconciler.emulator.cognigy_ai import records, wire
from reconciler.emulator.cognigy_ai.dispatching import Emulator, respond
from reconciler.emulator.platform import admin as platform_admin


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
        if platform_admin.is_loopback(request):
            return None
        return respond(wire.ApiError(403, "admin endpoints answer loopback only")
                       .answer(instance=request.url.path))

    async def requests(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        if request.method == "DELETE":
            self.emulator.state.requests.clear()
            self.emulator.persist()
            return Response(status_code=204)
        return JSONResponse([e.model_dump(mode="json") for e in self.emulator.state.requests])

    async def faults(self, request: Request) -> Response:
        refused = self._refuse(request)
        if refused is not None:
            return refused
        state = self.emulator.state
        if request.method == "PUT":
            try:
                state.faults = records.FaultConfig.model_validate(
                    jsontypes.loads(await request.body() or b"{}"))
            except (ValueError, ValidationError) as exc:
                return respond(wire.invalid("(body)", str(exc).splitlines()[0])
                               .answer(instance=request.url.path))
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
