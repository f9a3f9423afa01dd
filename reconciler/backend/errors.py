"""HTTP answers and transport failures -> ``reconciler.errors`` classes.

HTTP status maps to an error class in exactly one entry point, ``from_response`` (its private
helpers split it by status family); httpx exceptions map in ``from_transport``. Every
message is one line naming the method, the path and what went wrong; the hint says what to
do. No header value and no request body is ever quoted, so tokens and secrets cannot leak
through an error message.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import time
from collections.abc import Mapping
from typing import TypedDict

import httpx

from reconciler import errors
from reconciler.backend import retrying
from reconciler.clock import Clock
from reconciler.core import livetypes as lt

# Codes of the contract's error bodies that refine a status.
_HINTS: dict[str, str] = {
    "unauthorized": "check COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET",
    "invalid_client": "check COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET",
    "forbidden": "the bot belongs to another workspace; check the bot mapping in cogctl.yaml",
    "not_found": "check the id; the object may have been deleted outside cogctl",
    "metrics_not_ready": "retraining may still be running; run verify again later",
    "version_conflict": "the object changed since it was read; run plan again",
    "name_conflict": "an object of that name exists already; run plan again to adopt it",
    "dependency_conflict": "another slot still depends on it; remove that dependency first",
    "rate_limited": "the tenant's rate limit was hit; lower rateLimitPerMinute or retry later",
    "server": "the tenant had a transient failure; run the command again",
}


class _Where(TypedDict):
    method: str
    path: str
    status: int
    code: str | None
    details: list[lt.Json]


def parse_retry_after(value: str | None, *, now: Clock = time.time) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date (RFC 9110 10.2.3)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:  # "inf" would pause every worker for ever, "nan" compares false with everything
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def _body_fields(body: lt.Json) -> tuple[str | None, str, list[lt.Json]]:
    """The contract's ``{"error", "message", "details"}``, tolerant of any other shape."""
    if not isinstance(body, dict):
        return None, "", []
    code = body.get("error")
    message = body.get("message")
    details = body.get("details")
    return (
        code if isinstance(code, str) else None,
        " ".join(str(message).split()) if message is not None else "",
        details if isinstance(details, list) else [],
    )


def _first_str(body: lt.Json, keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` found as a string in the body or one of its ``details``."""
    places: list[lt.Json] = [body]
    details = body.get("details") if isinstance(body, dict) else None
    if isinstance(details, list):
        places.extend(details)
    for place in places:
        if isinstance(place, dict):
            for key in keys:
                found = place.get(key)
                if isinstance(found, str | int) and not isinstance(found, bool):
                    return str(found)
    return None


def _describe_details(details: list[lt.Json]) -> str:
    parts = []
    for item in details[:3]:
        if isinstance(item, dict) and "field" in item:
            parts.append(f"{item.get('field')}: {item.get('message', '')}".strip())
    more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
    return "; ".join(parts) + more


def from_response(
    method: str,
    path: str,
    status: int,
    body: lt.Json,
    headers: Mapping[str, str],
    *,
    now: Clock = time.time,
) -> errors.BackendError:
    """The one place where an HTTP error status becomes one of our error classes."""
    code, server_message, details = _body_fields(body)
    where = f"{method} {path}"
    said = f": {server_message}" if server_message else ""
    kw = _Where(method=method, path=path, status=status, code=code, details=details)
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"), now=now)
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return errors.RateLimitedError(
            f"{where} -> 429 rate limited{wait}", retry_after=retry_after,
            hint=_HINTS["rate_limited"], **kw,
        )
    if status >= 500:
        return errors.ServerError(f"{where} -> {status}{said}", hint=_HINTS["server"], **kw)
    return _client_error(where, code, said, body, kw)


def _client_error(
    where: str, code: str | None, said: str, body: lt.Json, kw: _Where
) -> errors.BackendError:
    status, details = kw["status"], kw["details"]
    if status == 401:
        return errors.UnauthorizedError(
            f"{where} -> 401 {code or 'unauthorized'}{said}",
            hint=_HINTS.get(code or "", _HINTS["unauthorized"]), **kw,
        )
    if code in {"insufficient_scope", "invalid_scope"}:
        scope = _first_str(body, ("scope", "required_scope", "requiredScope"))
        return errors.InsufficientScopeError(
            f"{where} -> {status} {code}: the token lacks scope {scope or '(unnamed)'}",
            scope=scope, hint="grant the OAuth client that scope, or run with a client that has it",
            **kw,
        )
    if status == 403:
        return errors.ForbiddenError(f"{where} -> 403 forbidden{said}",
                                     hint=_HINTS["forbidden"], **kw)
    if status == 404:
        cls = errors.MetricsNotReadyError if code == "metrics_not_ready" else errors.NotFoundError
        return cls(f"{where} -> 404 {code or 'not_found'}{said}",
                   hint=_HINTS.get(code or "", _HINTS["not_found"]), **kw)
    if status == 409:
        return _conflict(where, code, said, body, kw)
    if status in {400, 422}:
        described = _describe_details(details)
        return errors.RequestRejectedError(
            f"{where} -> {status} {code or 'rejected'}{said}"
            + (f" [{described}]" if described else ""),
            hint="fix the manifest field named and run again", **kw,
        )
    return errors.BackendError(f"{where} -> {status} (unexpected status){said}", **kw)


def _conflict(
    where: str, code: str | None, said: str, body: lt.Json, kw: _Where
) -> errors.ConflictError:
    hint = _HINTS.get(code or "", "run plan again")
    if code == "version_conflict":
        current = _first_str(
            body, ("current_version", "currentVersion", "contextVersion", "version")
        )
        return errors.VersionConflictError(
            f"{where} -> 409 version_conflict (current version {current or 'unknown'})",
            current_version=current, hint=hint, **kw,
        )
    if code == "name_conflict":
        existing = _first_str(body, ("existing_id", "existingId", "id"))
        return errors.NameConflictError(
            f"{where} -> 409 name_conflict (existing id {existing or 'unknown'})",
            existing_id=existing, hint=hint, **kw,
        )
    if code == "dependency_conflict":
        return errors.DependencyConflictError(f"{where} -> 409 dependency_conflict{said}",
                                              hint=hint, **kw)
    return errors.ConflictError(f"{where} -> 409 {code or 'conflict'}{said}",
                                hint=hint, **kw)


def from_transport(method: str, path: str, exc: Exception) -> errors.TransportError:
    """A request that got no HTTP answer: timeout, reset, refused connection.

    ``exc`` is an httpx error, the client's own deadline (``asyncio.TimeoutError``) or an
    ``OSError`` an in-process transport let through (a dropped connection).
    """
    timed_out = isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError)
    kind = "timed out" if timed_out else "failed"
    reason = type(exc).__name__
    # The server cannot have acted on a request whose connection never opened.
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return errors.TransportError(
        f"{method} {path} {kind} ({reason}) before an answer arrived",
        method=method, path=path, code=retrying.NOT_SENT if not_sent else None,
        hint="check the tenant URL and the network, then run the command again",
    )
