"""Sending one logical request: rate limit, bearer token, retries, observers, error mapping.

``Requester`` owns the one pooled ``httpx.AsyncClient`` of a backend. Per attempt it waits
for the rate limiter, takes the shared token, sends, reports a ``RequestEvent`` to every
observer, learns the tenant's limit from ``X-RateLimit-Limit``, pauses every worker on a 429,
and maps an error status to our error classes. A 401 triggers one token refresh and one
resend within the same attempt. Transient failures are retried by ``retrying.call``.

httpx exceptions end here: callers see ``Answer`` or a ``reconciler.errors.BackendError``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from reconciler import errors, jsontypes
from reconciler.backend import auth, base, httplog, ratelimit, retrying
from reconciler.backend import errors as backend_errors
from reconciler.core import livetypes as lt

DEFAULT_TIMEOUT_SECONDS = 30.0
POOL = httpx.Limits(max_connections=20, max_keepalive_connections=20)
Params = Mapping[str, str | int | bool]


@dataclass(frozen=True)
class Answer:
    """A successful HTTP answer: status below 400, headers (lower-case keys), parsed body."""

    status: int
    headers: Mapping[str, str]
    body: lt.Json


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    token_url: str

    def __repr__(self) -> str:  # keeps the secret out of tracebacks and debug logs
        return f"Credentials(client_id={self.client_id!r}, scopes={self.scopes!r})"


async def _within(seconds: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    """Await ``request`` or raise ``asyncio.TimeoutError`` after ``seconds``."""
    if sys.version_info >= (3, 11):
        # A cancel scope on the running task: no extra task per request, unlike wait_for.
        async with asyncio.timeout(seconds):
            return await request
    # Python 3.10 has no asyncio.timeout: the same cancel scope by hand, so that every
    # version runs the request in the caller's own task (wait_for would wrap it in another,
    # and answers would then be seen in another order than they were sent).
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await request
    except asyncio.CancelledError:
        if expired:
            raise asyncio.TimeoutError from None
        raise
    finally:
        handle.cancel()


def _parse_body(response: httpx.Response) -> lt.Json:
    """The error body of a refusal, when it is JSON; else None (the status says enough)."""
    try:
        return _strict_body(response)
    except jsontypes.JsonError:
        return None


def _strict_body(response: httpx.Response) -> lt.Json:
    if not response.content:
        return None
    body: lt.Json = jsontypes.loads(response.content)
    return body


class Requester:
    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        transport: httpx.AsyncBaseTransport | None,
        limiter: ratelimit.TokenBucket,
        retry: retrying.RetryPolicy,
        observers: Sequence[base.RequestObserver],
        logger: logging.Logger,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, transport=transport, limits=POOL, follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
            event_hooks=httplog.event_hooks(),
        )
        self._deadline = timeout_seconds
        self._credentials = credentials
        self._token_path = urlsplit(credentials.token_url).path or credentials.token_url
        self.limiter = limiter
        self.retry = retry
        self._observers = tuple(observers)
        self._logger = logger
        self.tokens = auth.TokenCache(self._fetch_token, clock=retry.clock)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: lt.Json = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send with retries; a POST is repeated only when it carries an Idempotency-Key."""
        extra = dict(headers or {})
        repeatable = method != "POST" or "Idempotency-Key" in extra

        async def _attempt(number: int) -> Answer:
            return await self._authorized(method, path, params, json, extra, number)

        return await retrying.call(self.retry, _attempt, repeatable=repeatable,
                                   logger=self._logger)

    async def _authorized(
        self, method: str, path: str, params: Params | None, json: lt.Json,
        headers: dict[str, str], attempt: int,
    ) -> Answer:
        token = await self.tokens.get()
        response = await self._send(method, path, params=params, json=json, data=None,
                                    headers={**headers, "Authorization": f"Bearer {token}"},
                                    attempt=attempt)
        if response.status_code == 401:
            token = await self.tokens.refresh(token)
            response = await self._send(method, path, params=params, json=json, data=None,
                                        headers={**headers, "Authorization": f"Bearer {token}"},
                                        attempt=attempt)
        return self._answer(method, path, response)

    async def _fetch_token(self) -> auth.Grant:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": " ".join(self._credentials.scopes),
        }

        async def _attempt(number: int) -> Answer:
            response = await self._send("POST", self._credentials.token_url, params=None,
                                        json=None, data=form, headers={}, attempt=number,
                                        shown_path=self._token_path)
            return self._answer("POST", self._token_path, response)

        # Asking for a token twice creates nothing: safe to repeat.
        answer = await retrying.call(self.retry, _attempt, repeatable=True, logger=self._logger)
        return _grant(answer, self._token_path)

    async def _send(
        self, method: str, path: str, *, params: Params | None, json: lt.Json,
        data: Mapping[str, str] | None, headers: Mapping[str, str], attempt: int,
        shown_path: str | None = None,
    ) -> httpx.Response:
        shown = shown_path or path
        await self.limiter.acquire()
        started = time.perf_counter()
        content: dict[str, object] = {"data": data} if data is not None else {}
        if json is not None:
            content["json"] = json
        try:
            # httpx enforces its timeouts on the network only; the deadline also bounds
            # in-process transports (the embedded emulator) and slow-drip answers.
            response = await _within(
                self._deadline,
                self._http.request(method, path, params=params, headers=headers,
                                   **content),  # type: ignore[arg-type]
            )
        except (httpx.HTTPError, asyncio.TimeoutError, OSError) as exc:
            self.limiter.release()
            self._observe(method, shown, None, started, attempt, type(exc).__name__)
            raise backend_errors.from_transport(method, shown, exc) from exc
        except BaseException:
            self.limiter.release()
            raise
        error = None if response.status_code < 400 else str(response.status_code)
        self._observe(method, shown, response.status_code, started, attempt, error)
        self._learn_limits(response)
        return response

    def _learn_limits(self, response: httpx.Response) -> None:
        """The server's rate-limit headers -> the shared limiter; then release the slot."""
        headers = response.headers
        retry_after = (
            backend_errors.parse_retry_after(headers.get("retry-after"), now=self.retry.wall)
            if response.status_code == 429 else None
        )
        self.limiter.on_answer(
            status=response.status_code, limit=headers.get("x-ratelimit-limit"),
            remaining=headers.get("x-ratelimit-remaining"),
            reset=headers.get("x-ratelimit-reset"), retry_after=retry_after,
        )

    def _answer(self, method: str, path: str, response: httpx.Response) -> Answer:
        if response.status_code < 400:
            try:
                body = _strict_body(response)
            except jsontypes.JsonError as exc:
                raise errors.BackendError(
                    f"{method} {path}: the tenant's answer is not strict JSON: {exc}",
                    method=method, path=path, status=response.status_code,
                ) from None
            return Answer(response.status_code, response.headers, body)
        raise backend_errors.from_response(method, path, response.status_code,
                                           _parse_body(response), response.headers,
                                           now=self.retry.wall)

    def _observe(self, method: str, path: str, status: int | None, started: float,
                 attempt: int, error: str | None) -> None:
        event = base.RequestEvent(
            method=method, path=path, status=status, seconds=time.perf_counter() - started,
            attempt=attempt, retried=attempt > 1, rate_limited=status == 429, error=error,
        )
        for observer in self._observers:
            try:
                observer.on_request(event)
            except Exception:  # a broken metrics sink must not fail a reconcile
                self._logger.exception("request observer %r failed", observer)


def _grant(answer: Answer, path: str) -> auth.Grant:
    body = answer.body
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.BackendError(
            f"POST {path} answered no access_token", method="POST", path=path,
            status=answer.status, hint="check COGNIGY_TOKEN_URL points at the OAuth token endpoint",
        )
    assert isinstance(body, dict)
    expires_in = body.get("expires_in")
    scope = body.get("scope")
    return auth.Grant(
        access_token=token,
        expires_in=float(expires_in) if isinstance(expires_in, int | float) else 3600.0,
        scope=scope if isinstance(scope, str) else None,
    )
