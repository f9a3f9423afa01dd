"""The request pipeline every API endpoint runs through, in this order:

latency (``settings.latencyMs``) -> clock reading, settle finished tasks -> rate limit (per
client address) -> injected fault -> body size (``413``) -> API key (``X-API-Key`` header or
``api_key`` query; ``401``) -> JSON body (ignored on GET: the official client sends its
arguments as a body on some reads) -> handler -> request log -> save the state (writes,
when a state file is set).

Handlers are plain functions ``Call -> wire.Answer`` that may raise ``wire.ApiError``; they
never await, so each one sees and leaves the state consistent.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from reconciler import jsontypes
from reconciler.emulator.cognigy_ai import records, tasks, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.state import TenantState
from reconciler.emulator.platform import faults


@dataclass
class Emulator:
    state: TenantState
    clock: Callable[[], float]
    state_path: Path | None = None

    def persist(self) -> None:
        if self.state_path is not None:
            self.state.save(self.state_path)


def admit(state: TenantState, client: str, now: float) -> wire.ApiError | None:
    """Count one request of ``client`` in the sliding window, or refuse it (``429``)."""
    window = state.settings.rateLimitWindowSeconds
    limit = state.settings.rateLimitRequests
    for key in [k for k, h in state.hits.items() if not h or h[-1] <= now - window]:
        del state.hits[key]
    hits = state.hits.setdefault(client, [])
    del hits[: bisect.bisect_right(hits, now - window)]
    if len(hits) >= limit:
        retry = max(1, math.ceil(hits[0] + window - now))
        return wire.ApiError(429, f"more than {limit} requests in {window:g} s from "
                             f"{client}; retry in {retry} s", headers={"Retry-After": str(retry)})
    hits.append(now)
    return None


def _fault_error(kind: str) -> wire.ApiError:
    if kind == "429":
        return wire.ApiError(429, "injected fault: rate limited", headers={"Retry-After": "1"})
    if kind == "timeout":
        return wire.ApiError(504, "injected fault: the request timed out")
    if kind == "reset":
        return wire.ApiError(503, "injected fault: connection reset")
    return wire.ApiError(int(kind), f"injected fault: {kind}")


def _stamp(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EndpointApp:
    def __init__(self, emulator: Emulator, endpoint: Endpoint) -> None:
        self.emulator = emulator
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        emulator = self.emulator
        request = Request(scope, receive)
        raw = await request.body()
        if emulator.state.settings.latencyMs:
            await asyncio.sleep(emulator.state.settings.latencyMs / 1000)
        now = emulator.clock()
        client = request.client.host if request.client else "unknown"
        answer, user, fault = self._process(request, raw, now, client)
        if fault == "timeout":
            await asyncio.sleep(emulator.state.faults.timeoutSeconds)
        emulator.state.log(records.LogEntry(
            ts=_stamp(now), method=request.method, path=request.url.path,
            status=None if fault == "reset" else answer.status, client=client, userId=user,
            fault=fault))
        if request.method != "GET":
            emulator.persist()
        if fault == "reset":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"1024")]})
            raise faults.ConnectionDropped("injected fault: connection reset")
        await respond(answer)(scope, receive, send)

    def _process(self, request: Request, raw: bytes, now: float,
                 client: str) -> tuple[wire.Answer, str | None, str | None]:
        state = self.emulator.state
        tasks.settle(state, now)
        user: str | None = None
        fault: str | None = None
        try:
            refused = admit(state, client, now)
            if refused is not None:
                raise refused
            fault = faults.draw(state.faults)
            if fault is not None and fault != "commit-then-503":
                raise _fault_error(fault)
            if len(raw) > state.settings.maxBodyBytes:
                raise wire.ApiError(413, f"the body has {len(raw)} bytes; at most "
                                    f"{state.settings.maxBodyBytes} are accepted")
            user = self._authenticate(request)
            call = Call(state=state, user=user, now=now,
                        params={k: str(v) for k, v in request.path_params.items()},
                        query=dict(request.query_params.items()),
                        body=None if request.method == "GET" else _json_body(raw),
                        path=request.url.path)
            answer = self.endpoint.handler(call)
            if fault == "commit-then-503":
                raise wire.ApiError(503, "injected fault: the request was performed, but "
                                    "the answer is lost")
        except wire.ApiError as exc:
            answer = exc.answer(instance=request.url.path)
        return answer, user, fault

    def _authenticate(self, request: Request) -> str:
        state = self.emulator.state
        key = request.headers.get("x-api-key") or request.query_params.get("api_key")
        if not key:
            raise self._unauthorized("no API key: send X-API-Key or ?api_key=")
        user = state.user_of_key(key)
        if user is None:
            raise self._unauthorized("the API key is not valid")
        return user

    def _unauthorized(self, detail: str) -> wire.ApiError:
        status = self.emulator.state.settings.unauthorizedStatus
        return wire.ApiError(status, detail, code=401 if status == 401 else 1008)


def _json_body(raw: bytes) -> JsonValue:
    if not raw.strip():
        return None
    try:
        value: JsonValue = jsontypes.loads(raw)  # strict: no NaN, bounded depth
    except (ValueError, UnicodeDecodeError) as exc:
        raise wire.invalid("(body)", f"not valid JSON: {exc}") from None
    return value


def respond(answer: wire.Answer) -> Response:
    if answer.status == 204 or answer.body is None:
        return Response(status_code=answer.status, headers={
            k: v for k, v in answer.headers.items() if k.lower() != "content-type"})
    media = answer.headers.pop("Content-Type", "application/json")
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers,
                        media_type=media)
