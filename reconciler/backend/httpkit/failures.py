"""HTTP answers and transport failures -> ``reconciler.errors`` classes, for every origin.

An ``Origin`` is who answered: ``"Platform API"``, ``"Cognigy.AI API"``, ``"GitHub API"``,
``"webhook"``, ``"integration probe"``. Each client defines its own once, with the hints that
tell its user what to do, how its error bodies read, how it signals a rate limit and which
statuses beyond the usual ones are worth another attempt. Every message then starts with the
origin (``GitHub API POST /repos/o/r/issues/7/comments -> 403 forbidden: ...``), so a GitHub
404 never reads as a Platform API error.

HTTP status maps to an error class in exactly one entry point, ``from_response`` (its private
helpers split it by status family); httpx exceptions map in ``from_transport``. Every message
is one line naming the origin, the method, the path and what went wrong; the hint says what to
do. No header value and no request body is ever quoted, so tokens and secrets cannot leak
through an error message.

Hints are looked up by the body's error code first, then by kind: ``unauthorized``,
``forbidden``, ``insufficient_scope``, ``not_found``, ``conflict``, ``rejected``,
``rate_limited``, ``server``, ``transport`` and ``tls``.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

import httpx

from reconciler import errors
from reconciler.backend.httpkit import retrying
from reconciler.clock import Clock
from reconciler.jsontypes import Json

# An error body read: the error code, the server's message (one line), the details.
Said = tuple[str | None, str, list[Json]]


@dataclass(frozen=True)
class RateLimit:
    """An answer that is a rate limit; ``retry_after`` seconds, when the server said."""

    retry_after: float | None


def platform_said(body: Json) -> Said:
    """The Platform contract's ``{"error", "message", "details"}``, tolerant of any shape."""
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


def standard_rate_limit(status: int, headers: Mapping[str, str], now: Clock) -> RateLimit | None:
    """A 429, waiting as its ``Retry-After`` says."""
    if status != 429:
        return None
    return RateLimit(retrying.parse_retry_after(headers.get("retry-after"), now=now))


@dataclass(frozen=True)
class Origin:
    """Who answered, and what its failures tell the user. ``name`` starts every message."""

    name: str
    hints: Mapping[str, str] = field(default_factory=dict)
    read: Callable[[Json], Said] = platform_said
    rate_limit: Callable[[int, Mapping[str, str], Clock], RateLimit | None] = (
        standard_rate_limit)
    # Statuses retried beyond 429 and 500/502/503/504 (which every origin retries).
    transient: frozenset[int] = frozenset()

    def hint(self, *keys: str | None) -> str | None:
        """The first hint found for ``keys``, in order (an error code, then a kind)."""
        for key in keys:
            if key is not None and key in self.hints:
                return self.hints[key]
        return None


class _Where(TypedDict):
    method: str
    path: str
    status: int
    code: str | None
    details: list[Json]
    retry_after: float | None


def _first_str(body: Json, keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` found as a string in the body or one of its ``details``."""
    places: list[Json] = [body]
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


def _describe_details(details: list[Json]) -> str:
    parts = []
    for item in details[:3]:
        if isinstance(item, dict) and "field" in item:
            parts.append(f"{item.get('field')}: {item.get('message', '')}".strip())
    more = f" (+{len(details) - 3} more)" if len(details) > 3 else ""
    return "; ".join(parts) + more


def from_response(
    origin: Origin,
    method: str,
    path: str,
    status: int,
    body: Json,
    headers: Mapping[str, str],
    *,
    now: Clock = time.time,
) -> errors.BackendError:
    """The one place where an HTTP error status becomes one of our error classes."""
    code, server_message, details = origin.read(body)
    where = f"{origin.name} {method} {path}"
    said = f": {server_message}" if server_message else ""
    limit = origin.rate_limit(status, headers, now)
    # A 503 may say when to come back too (RFC 9110 10.2.3); the retry loop waits that long.
    retry_after = (limit.retry_after if limit is not None
                   else retrying.parse_retry_after(headers.get("retry-after"), now=now))
    kw = _Where(method=method, path=path, status=status, code=code, details=details,
                retry_after=retry_after)
    if limit is not None:
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return errors.RateLimitedError(f"{where} -> {status} rate limited{wait}",
                                       hint=origin.hint("rate_limited"), **kw)
    if status >= 500:
        error: errors.BackendError = errors.ServerError(
            f"{where} -> {status}{said}", hint=origin.hint("server"), **kw)
    else:
        error = _client_error(origin, where, said, body, kw)
    if status in origin.transient:
        error.transient = True
    return error


def _client_error(
    origin: Origin, where: str, said: str, body: Json, kw: _Where
) -> errors.BackendError:
    status, code, details = kw["status"], kw["code"], kw["details"]
    if status == 401:
        return errors.UnauthorizedError(f"{where} -> 401 {code or 'unauthorized'}{said}",
                                        hint=origin.hint(code, "unauthorized"), **kw)
    if code in {"insufficient_scope", "invalid_scope"}:
        scope = _first_str(body, ("scope", "required_scope", "requiredScope"))
        return errors.InsufficientScopeError(
            f"{where} -> {status} {code}: the token lacks scope {scope or '(unnamed)'}",
            scope=scope, hint=origin.hint("insufficient_scope"), **kw,
        )
    if status == 403:
        return errors.ForbiddenError(f"{where} -> 403 forbidden{said}",
                                     hint=origin.hint("forbidden"), **kw)
    if status == 404:
        cls = errors.MetricsNotReadyError if code == "metrics_not_ready" else errors.NotFoundError
        return cls(f"{where} -> 404 {code or 'not_found'}{said}",
                   hint=origin.hint(code, "not_found"), **kw)
    if status == 409:
        return _conflict(origin, where, said, body, kw)
    if status in {400, 422}:
        described = _describe_details(details)
        return errors.RequestRejectedError(
            f"{where} -> {status} {code or 'rejected'}{said}"
            + (f" [{described}]" if described else ""),
            hint=origin.hint("rejected"), **kw,
        )
    return errors.BackendError(f"{where} -> {status} (unexpected status){said}", **kw)


def _conflict(
    origin: Origin, where: str, said: str, body: Json, kw: _Where
) -> errors.ConflictError:
    code = kw["code"]
    hint = origin.hint(code, "conflict")
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


def _tls_failure(exc: BaseException) -> str | None:
    """The certificate problem behind a transport error, if that is what it was."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def from_transport(origin: Origin, method: str, path: str,
                   exc: BaseException) -> errors.BackendError:
    """A request that got no HTTP answer: timeout, reset, refused connection, bad certificate.

    ``exc`` is an httpx error, the client's own deadline (``asyncio.TimeoutError``) or an
    ``OSError`` an in-process transport let through (a dropped connection). A certificate
    that does not verify is a ``BackendError`` with code ``tls``, never retried: trying again
    cannot fix it. Everything else is a ``TransportError``.
    """
    where = f"{origin.name} {method} {path}"
    tls = _tls_failure(exc)
    if tls is not None:
        return errors.BackendError(f"{where}: TLS failed: {tls}", method=method, path=path,
                                   code="tls", hint=origin.hint("tls"))
    timed_out = isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError)
    kind = "timed out" if timed_out else "failed"
    # The server cannot have acted on a request whose connection never opened.
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return errors.TransportError(
        f"{where} {kind} ({type(exc).__name__}) before an answer arrived",
        method=method, path=path, code=retrying.NOT_SENT if not_sent else None,
        hint=origin.hint("transport"),
    )


def cause_name(exc: errors.BackendError) -> str:
    """What went wrong underneath a failure without an answer (``ConnectError``, ...)."""
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__
