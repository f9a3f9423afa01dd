"""Sending one logical request to the Platform API: rate limit, bearer token, retries,
observers, error mapping.

``Requester`` owns the one pooled ``httpkit.sending.Client`` of a backend. Per attempt it
waits for the rate limiter, takes the shared token, sends, reports a ``RequestEvent`` to every
observer, learns the tenant's limit from ``X-RateLimit-Limit``, pauses every worker on a 429,
and maps an error status to our error classes for the origin ``PLATFORM``. A 401 triggers one
token refresh and one resend within the same attempt. Transient failures are retried by
``httpkit.retrying.call``.

Callers see ``Answer`` or a ``reconciler.errors.BackendError`` naming the Platform API.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from reconciler import errors, jsontypes
from reconciler.backend import auth, base, ratelimit
from reconciler.backend.httpkit import failures, retrying, sending
from reconciler.core import livetypes as lt

Params = sending.Params

# Codes of the contract's error bodies that refine a status, and the hint of each kind.
PLATFORM = failures.Origin("Platform API", hints={
    "unauthorized": "check COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET",
    "invalid_client": "check COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET",
    "insufficient_scope": "grant the OAuth client that scope, or run with a client that has it",
    "forbidden": "the bot belongs to another workspace; check the bot mapping in cogctl.yaml",
    "not_found": "check the id; the object may have been deleted outside cogctl",
    "metrics_not_ready": "retraining may still be running; run verify again later",
    "conflict": "run plan again",
    "version_conflict": "the object changed since it was read; run plan again",
    "name_conflict": "an object of that name exists already; run plan again to adopt it",
    "dependency_conflict": "another slot still depends on it; remove that dependency first",
    "rejected": "fix the manifest field named and run again",
    "rate_limited": "the tenant's rate limit was hit; lower rateLimitPerMinute or retry later",
    "server": "the tenant had a transient failure; run the command again",
    "transport": "check the tenant URL and the network, then run the command again",
    "tls": "check the tenant URL; a private CA must be trusted through SSL_CERT_FILE",
})


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


def observe(observers: Sequence[base.RequestObserver], logger: logging.Logger, *,
            method: str, path: str, status: int | None, started: float, attempt: int,
            error: str | None) -> None:
    """Tell every observer about one attempt; a failing observer is logged, never raised."""
    event = base.RequestEvent(
        method=method, path=path, status=status, seconds=time.perf_counter() - started,
        attempt=attempt, retried=attempt > 1, rate_limited=status == 429, error=error,
    )
    for observer in observers:
        try:
            observer.on_request(event)
        except Exception:  # a broken metrics sink must not fail a reconcile
            logger.exception("request observer %r failed", observer)


class Requester:
    def __init__(
        self,
        *,
        base_url: str,
        credentials: Credentials,
        transport: sending.Transport | None,
        limiter: ratelimit.TokenBucket,
        retry: retrying.RetryPolicy,
        observers: Sequence[base.RequestObserver],
        logger: logging.Logger,
        timeout_seconds: float = sending.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._http = sending.Client(origin=PLATFORM, base_url=base_url, transport=transport,
                                    timeout_seconds=timeout_seconds)
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
        reply = await self._send(method, path, params=params, json=json, data=None,
                                 headers={**headers, "Authorization": f"Bearer {token}"},
                                 attempt=attempt)
        if reply.status == 401:
            token = await self.tokens.refresh(token)
            reply = await self._send(method, path, params=params, json=json, data=None,
                                     headers={**headers, "Authorization": f"Bearer {token}"},
                                     attempt=attempt)
        return self._answer(method, path, reply)

    async def _fetch_token(self) -> auth.Grant:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "scope": " ".join(self._credentials.scopes),
        }

        async def _attempt(number: int) -> Answer:
            reply = await self._send("POST", self._credentials.token_url, params=None,
                                     json=None, data=form, headers={}, attempt=number,
                                     shown_path=self._token_path)
            return self._answer("POST", self._token_path, reply)

        # Asking for a token twice creates nothing: safe to repeat.
        answer = await retrying.call(self.retry, _attempt, repeatable=True, logger=self._logger)
        return _grant(answer, self._token_path)

    async def _send(
        self, method: str, path: str, *, params: Params | None, json: lt.Json,
        data: Mapping[str, str] | None, headers: Mapping[str, str], attempt: int,
        shown_path: str | None = None,
    ) -> sending.Reply:
        shown = shown_path or path
        await self.limiter.acquire()
        started = time.perf_counter()
        try:
            reply = await self._http.send(method, path, params=params, json=json, data=data,
                                          headers=headers, shown=shown)
        except errors.BackendError as exc:  # no answer arrived
            self.limiter.release()
            self._observe(method, shown, None, started, attempt, failures.cause_name(exc))
            raise
        except BaseException:
            self.limiter.release()
            raise
        error = None if reply.status < 400 else str(reply.status)
        self._observe(method, shown, reply.status, started, attempt, error)
        self._learn_limits(reply)
        return reply

    def _learn_limits(self, reply: sending.Reply) -> None:
        """The server's rate-limit headers -> the shared limiter; then release the slot."""
        headers = reply.headers
        retry_after = (
            retrying.parse_retry_after(headers.get("retry-after"), now=self.retry.wall)
            if reply.status == 429 else None
        )
        self.limiter.on_answer(
            status=reply.status, limit=headers.get("x-ratelimit-limit"),
            remaining=headers.get("x-ratelimit-remaining"),
            reset=headers.get("x-ratelimit-reset"), retry_after=retry_after,
        )

    def _answer(self, method: str, path: str, reply: sending.Reply) -> Answer:
        if reply.status >= 400:
            raise self._http.refusal(method, path, reply, now=self.retry.wall)
        body: lt.Json = None
        if reply.content:
            try:
                body = jsontypes.loads(reply.content)
            except jsontypes.JsonError as exc:
                raise errors.BackendError(
                    f"{PLATFORM.name} {method} {path}: the tenant's answer is not strict "
                    f"JSON: {exc}", method=method, path=path, status=reply.status,
                ) from None
        return Answer(reply.status, reply.headers, body)

    def _observe(self, method: str, path: str, status: int | None, started: float,
                 attempt: int, error: str | None) -> None:
        observe(self._observers, self._logger, method=method, path=path, status=status,
                started=started, attempt=attempt, error=error)


def _grant(answer: Answer, path: str) -> auth.Grant:
    body = answer.body
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise errors.BackendError(
            f"{PLATFORM.name} POST {path} answered no access_token", method="POST", path=path,
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
