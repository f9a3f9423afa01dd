"""The request pipeline every API endpoint runs through, in this order:

latency (``settings.latencyMs``) -> clock reading, settle finished training jobs -> rate
limit (per client; unauthenticated requests per claimed client or peer) -> injected fault ->
bearer token (401) -> scope (403) -> JSON body -> ``Idempotency-Key`` replay (POST) ->
handler -> ``X-RateLimit-*`` headers -> request log -> save the state (writes, when a state
file is set).

Handlers are plain functions ``Call -> wire.Answer`` that may raise ``wire.ApiError``; they
never await, so each one sees and leaves the state consistent (one event loop, no locks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import JsonValue
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from reconciler import jsontypes
from reconciler.emulator.platform import auth, faults, ratelimit, records, training, wire
from reconciler.emulator.platform.state import TenantState

_PUBLIC = auth.Caller("", "", frozenset())
R = TypeVar("R")


@dataclass
class Call:
    """One request as a handler sees it."""

    state: TenantState
    caller: auth.Caller
    now: float
    params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: JsonValue
    raw: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def bot(self, bot_id: str) -> records.BotRecord:
        """The bot, if it exists (404) and belongs to the caller's workspace (403)."""
        bot = self.state.bots.get(bot_id)
        if bot is None:
            raise wire.not_found("bot", bot_id)
        if bot.workspaceId != self.caller.workspace_id:
            raise wire.ApiError(403, "forbidden", f"bot {bot_id!r} belongs to another workspace")
        return bot

    def owned(self, table: Mapping[str, R], what: str, ident: str,
              bot_of: Callable[[R], str]) -> R:
        """``table[ident]`` (else 404 naming ``what``), if its bot is the caller's (403)."""
        found = table.get(ident)
        if found is None:
            raise wire.not_found(what, ident)
        self.bot(bot_of(found))
        return found

    def body_bot(self, key: str) -> None:
        """The bot the body names under ``key`` is answered (404/403) before the body is
        validated, so a foreign bot never learns what is wrong with the rest."""
        bot_id = wire.require_object(self.body).get(key)
        if isinstance(bot_id, str) and bot_id:
            self.bot(bot_id)

    def listed(self, items: Iterable[R], bot_of: Callable[[R], str]) -> list[R]:
        """``items`` of the caller's workspace, narrowed to ``?botId=`` (checked) if given."""
        wanted = self.query.get("botId")
        if wanted:
            self.bot(wanted)
        visible = {b.botId for b in self.state.bots.values()
                   if b.workspaceId == self.caller.workspace_id}
        return [item for item in items
                if bot_of(item) in visible and (not wanted or bot_of(item) == wanted)]

    def require(self, scope: str) -> None:
        auth.require_scopes(self.caller, (scope,))


Handler = Callable[[Call], wire.Answer]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    scopes: tuple[str, ...] = ()
    public: bool = False
    # Answers a path or method the contract does not have (404, 405): still rate limited,
    # counted, logged and answered in the contract's error shape, like every request.
    fallback: bool = False


def refusal(path: str, status: int, error: str, message: str,
            headers: Mapping[str, str] | None = None) -> Endpoint:
    """An endpoint that refuses every request with one contract error (404, 405)."""

    def refuse(call: Call) -> wire.Answer:
        raise wire.ApiError(status, error, message, headers=headers)

    return Endpoint("*", path, refuse, fallback=True)


@dataclass
class Emulator:
    """What every endpoint shares: the state (mutated in place), the clock, the state file."""

    state: TenantState
    clock: Callable[[], float]
    state_path: Path | None = None

    def persist(self) -> None:
        if self.state_path is not None:
            self.state.save(self.state_path)


@dataclass
class _Outcome:
    answer: wire.Answer
    client_id: str | None
    fault: str | None


class EndpointApp:
    """The ASGI app of one endpoint: runs the pipeline around its handler."""

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
        outcome = self._process(request, raw, now)
        if outcome.fault == "timeout":
            await asyncio.sleep(emulator.state.faults.timeoutSeconds)
        answer = outcome.answer
        status = None if outcome.fault == "reset" else answer.status
        emulator.state.log(records.LogEntry(
            ts=wire.timestamp(now), method=request.method, path=request.url.path,
            status=status, clientId=outcome.client_id,
            idempotencyKey=request.headers.get("idempotency-key"), fault=outcome.fault,
        ))
        if request.method not in ("GET", "HEAD"):
            emulator.persist()
        if outcome.fault == "reset":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", b"1024")]})
            raise faults.ConnectionDropped("injected fault: connection reset")
        await _respond(answer)(scope, receive, send)

    def _process(self, request: Request, raw: bytes, now: float) -> _Outcome:
        state = self.emulator.state
        training.settle(state, now)
        ratelimit.forget_idle(state, now)
        caller, auth_error, claimed = self._identify(request, raw, now)
        peer = request.client.host if request.client else "unknown"
        verdict = ratelimit.admit(state, claimed or f"anonymous@{peer}", now)
        fault: str | None = None
        try:
            if not verdict.allowed:
                raise verdict.error(now, state.settings)
            fault = None if self.endpoint.fallback else faults.draw(state.faults)
            if fault is not None and fault != "commit-then-503":
                raise faults.early_error(fault, ratelimit.retry_after(1, now, state.settings))
            if auth_error is not None:
                raise auth_error
            auth.require_scopes(caller, self.endpoint.scopes)
            answer = self._perform(request, raw, caller, now)
            if fault == "commit-then-503":
                answer = faults.commit_error().answer()
        except wire.ApiError as exc:
            answer = exc.answer()
        answer.headers.update(verdict.headers())
        return _Outcome(answer, claimed, fault)

    def _identify(
        self, request: Request, raw: bytes, now: float
    ) -> tuple[auth.Caller, wire.ApiError | None, str | None]:
        authorization = request.headers.get("authorization")
        if self.endpoint.public:
            return _PUBLIC, None, auth.form_client_id(raw, authorization)
        try:
            caller = auth.authenticate(self.emulator.state, authorization, now)
        except wire.ApiError as exc:
            # No such path, or not this method: that is the answer, token or none.
            return _PUBLIC, None if self.endpoint.fallback else exc, None
        return caller, None, caller.client_id

    def _perform(
        self, request: Request, raw: bytes, caller: auth.Caller, now: float
    ) -> wire.Answer:
        call = Call(
            state=self.emulator.state, caller=caller, now=now,
            params={k: str(v) for k, v in request.path_params.items()},
            query=_single_valued(request), headers=dict(request.headers),
            body=None if self.endpoint.public or self.endpoint.fallback else _json_body(raw),
            raw=raw,
        )
        key = request.headers.get("idempotency-key")
        if request.method != "POST" or not key or self.endpoint.public:
            return self.endpoint.handler(call)
        slot = f"{caller.client_id} {request.url.path} {key}"
        digest = wire.body_hash(call.body)
        stored = self.emulator.state.idempotency.get(slot)
        if stored is not None:
            if stored.bodyHash != digest:
                raise wire.ApiError(
                    422, "idempotency_key_reused",
                    f"Idempotency-Key {key!r} was used with a different body",
                )
            return wire.Answer(stored.status, stored.body,
                               {**stored.headers, "Idempotent-Replayed": "true"})
        try:
            answer = self.endpoint.handler(call)
        except wire.ApiError as exc:
            answer = exc.answer()
        self.emulator.state.remember(slot, records.IdempotencyRecord(
            bodyHash=digest, status=answer.status, body=answer.body, headers=answer.headers,
        ))
        return answer


def _single_valued(request: Request) -> dict[str, str]:
    """The query; every parameter of the contract takes one value, so a repeated one is 400."""
    query: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in query:
            raise wire.invalid(key, "given more than once")
        query[key] = value
    return query


def _json_body(raw: bytes) -> JsonValue:
    if not raw.strip():
        return None
    try:
        value: JsonValue = jsontypes.loads(raw)
    except jsontypes.JsonError as exc:
        raise wire.invalid("(body)", f"not valid JSON: {exc}") from None
    return value


def _respond(answer: wire.Answer) -> Response:
    if answer.status == 204 or answer.body is None:
        return Response(status_code=answer.status, headers=answer.headers)
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
