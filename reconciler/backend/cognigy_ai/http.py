"""Sending one request to a Cognigy.AI tenant: API key, pacing, retries, RFC 7807 errors.

The key travels as ``X-API-Key`` and nowhere else (never in a URL, a log line or an error).
Pacing: the documented quota is 1,000 requests per 5 minutes per source IP and no rate-limit
header is documented, so one ``ratelimit.TokenBucket`` at 200 per minute (it keeps 10 % as
burst and refills at 90 %) keeps any 5-minute window under 1,000; a 429 pauses every worker
for its ``Retry-After``. Retries follow ``retrying`` (the Platform client's policy): every
method but POST is repeated on transient failures, a POST only when the server cannot have
acted on it (a 429, a connection never opened). What a lost POST answer means is for the
caller to find out (re-list and adopt), never for a blind second POST.

Errors: Cognigy's RFC 7807 bodies ``{title, detail, status, code, traceId}`` are read into
the Platform vocabulary and mapped by ``httpkit.failures.from_response`` for the origin
``COGNIGY_AI``, so commands see the same classes on both APIs, each message naming the
Cognigy.AI API. A 401 or a 500 on the first request of a run says what is the
likely cause (the key, or the base URL), as the official CLI does.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler import errors
from reconciler.backend import base, ratelimit, requesting
from reconciler.backend.httpkit import failures, retrying, sending
from reconciler.backend.requesting import Answer, Params
from reconciler.clock import Clock
from reconciler.jsontypes import Json

QUOTA_REQUESTS = 1000
QUOTA_WINDOW_SECONDS = 300
DEFAULT_LIMIT_PER_MINUTE = QUOTA_REQUESTS * 60 // QUOTA_WINDOW_SECONDS
PAGE_LIMIT = 100
MAX_PAGES = 1000
ENV_API_KEY = "COGNIGY_API_KEY"
CLIENT_INFO = "cogctl"

# Cognigy's ``code`` -> the Platform contract's error code (``httpkit.failures`` vocabulary).
_CODES: dict[int, str] = {
    401: "unauthorized", 403: "forbidden", 429: "rate_limited", 1002: "not_found",
    1004: "conflict", 1000: "missing_argument", 1005: "invalid_argument", 400: "bad_request",
}
KEY_HINT = f"check {ENV_API_KEY} (an API key of a user of the project) and baseUrl"
# Read through ``platform_body`` first, so the Platform's hints hold; only the key differs.
COGNIGY_AI = failures.Origin("Cognigy.AI API", hints={
    **requesting.PLATFORM.hints, "unauthorized": KEY_HINT, "invalid_client": KEY_HINT,
    "transport": "check baseUrl and the network, then run the command again",
    "tls": "check baseUrl; a private CA must be trusted through SSL_CERT_FILE",
})


def platform_body(body: Json) -> Json:
    """An RFC 7807 body as ``{"error", "message", "details"}``; other shapes unchanged."""
    if not isinstance(body, dict) or not ({"title", "detail", "code"} & set(body)):
        return body
    code = body.get("code")
    name = _CODES.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    detail = body.get("detail") or body.get("title") or ""
    trace = body.get("traceId")
    message = f"{detail} (traceId {trace})" if isinstance(trace, str) and trace else detail
    details = body.get("details")
    found: list[Json] = []
    if isinstance(details, dict):
        found = [{"field": k, "message": str(v)} for k, v in details.items()]
    return {"error": name, "message": message, "details": found}


def map_error(method: str, path: str, status: int, body: Json, headers: Mapping[str, str],
              *, first: bool, now: Clock = time.time) -> errors.BackendError:
    """One error answer of the v2.0 API as one of our error classes."""
    error = failures.from_response(COGNIGY_AI, method, path, status, platform_body(body),
                                   headers, now=now)
    if isinstance(error, errors.UnauthorizedError):
        error.hint = KEY_HINT
    elif status == 500 and first:
        error.hint = f"a 500 on the first request usually means a bad API key or base URL: " \
                     f"{KEY_HINT}"
    return error


class Requester:
    """One pooled HTTP client, one pacing bucket, one retry policy for a tenant."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        transport: sending.Transport | None = None,
        retry: retrying.RetryPolicy | None = None,
        limit_per_minute: int | None = None,
        observers: Sequence[base.RequestObserver] = (),
        logger: logging.Logger | None = None,
        timeout_seconds: float = sending.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.retry = retry or retrying.RetryPolicy()
        self._http = sending.Client(
            origin=COGNIGY_AI, base_url=base_url, transport=transport,
            timeout_seconds=timeout_seconds,
            headers={"Accept": "application/json", "X-Cognigy-Client-Info": CLIENT_INFO},
        )
        self._key = api_key
        self.limiter = ratelimit.TokenBucket(
            limit_per_minute=limit_per_minute or DEFAULT_LIMIT_PER_MINUTE,
            clock=self.retry.clock, sleep=self.retry.sleep)
        self._observers = tuple(observers)
        self._logger = logger or logging.getLogger(retrying.LOGGER_NAME)
        self._answered = False
        self.sent = 0

    def __repr__(self) -> str:  # the key never shows in a traceback
        return f"Requester(base_url={self._http.base_url!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, *, params: Params | None = None,
                      json: Any = None, repeatable: bool | None = None) -> Answer:
        """Send with retries; ``repeatable`` defaults to every method but POST."""
        again = method != "POST" if repeatable is None else repeatable

        async def _attempt(number: int) -> Answer:
            return await self._once(method, path, params, json, number)

        return await retrying.call(self.retry, _attempt, repeatable=again, logger=self._logger)

    async def _once(self, method: str, path: str, params: Params | None, json: Any,
                    attempt: int) -> Answer:
        await self.limiter.acquire()
        started = time.perf_counter()
        self.sent += 1
        try:
            reply = await self._http.send(method, path, params=params, json=json,
                                          headers={"X-API-Key": self._key})
        except errors.BackendError as exc:  # no answer arrived
            self._observe(method, path, None, started, attempt, failures.cause_name(exc))
            raise
        finally:
            self.limiter.release()
        status = reply.status
        self._observe(method, path, status, started, attempt,
                      None if status < 400 else str(status))
        first = not self._answered
        self._answered = True
        body = _parse(reply)
        if status == 429:
            wait = retrying.parse_retry_after(reply.headers.get("retry-after"),
                                              now=self.retry.wall)
            self.limiter.pause(1.0 if wait is None else wait)
        if status >= 400:
            raise map_error(method, path, status, body, reply.headers, first=first,
                            now=self.retry.wall)
        return Answer(status, reply.headers, body)

    def _observe(self, method: str, path: str, status: int | None, started: float,
                 attempt: int, error: str | None) -> None:
        requesting.observe(self._observers, self._logger, method=method, path=path,
                           status=status, started=started, attempt=attempt, error=error)

    async def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        answer = await self.request("GET", path, params=params)
        return expect_object(answer, "GET", path)

    async def collect(self, path: str, params: Params | None = None) -> list[dict[str, Any]]:
        """Every item of a list endpoint: ``limit=100``, following ``nextCursor`` (or
        ``next``), at most ``MAX_PAGES`` pages; a page that repeats a cursor stops it."""
        query: dict[str, str | int | bool] = {**(params or {}), "limit": PAGE_LIMIT}
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = await self.get(path, query)
            items = page.get("items")
            if not isinstance(items, list):
                raise errors.BackendError(f"GET {path} answered no items list", method="GET",
                                          path=path, hint="check baseUrl and apiPrefix")
            found.extend(i for i in items if isinstance(i, dict))
            cursor = page.get("nextCursor", page.get("next"))
            if not isinstance(cursor, str) or not cursor or not items:
                return found
            if cursor in seen:
                raise errors.BackendError(f"GET {path}: the server repeated a page cursor",
                                          method="GET", path=path)
            seen.add(cursor)
            query = {**(params or {}), "limit": PAGE_LIMIT, "next": cursor}
        raise errors.BackendError(f"GET {path}: more than {MAX_PAGES} pages", method="GET",
                                  path=path)


def _parse(reply: sending.Reply) -> Json:
    if not reply.content:
        return None
    try:
        body: Json = reply.json()
    except ValueError:
        return None
    return body


def expect_object(answer: Answer, method: str, path: str) -> dict[str, Any]:
    if answer.body is None:
        return {}
    if not isinstance(answer.body, dict):
        raise errors.BackendError(
            f"{method} {path} answered {answer.status} without a JSON object", method=method,
            path=path, status=answer.status,
            hint="baseUrl may not point at a Cognigy.AI API server (check apiPrefix)")
    return answer.body
