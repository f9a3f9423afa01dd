"""HTTP status and error codes of the Platform API -> our error classes, in one table."""

from __future__ import annotations

import httpx
import pytest

from reconciler import errors
from reconciler.backend import requesting
from reconciler.backend.httpkit import failures, retrying


@pytest.mark.parametrize(
    ("status", "body", "cls", "attr", "value"),
    [
        (401, {"error": "unauthorized", "message": "token expired"}, errors.UnauthorizedError, None, None),
        (401, {"error": "invalid_client"}, errors.UnauthorizedError, None, None),
        (403, {"error": "insufficient_scope", "message": "needs x", "scope": "cognigy:slots:write"},
         errors.InsufficientScopeError, "scope", "cognigy:slots:write"),
        (400, {"error": "invalid_scope", "scope": "cognigy:nlp:retrain"},
         errors.InsufficientScopeError, "scope", "cognigy:nlp:retrain"),
        (403, {"error": "forbidden"}, errors.ForbiddenError, None, None),
        (404, {"error": "not_found"}, errors.NotFoundError, None, None),
        (404, {"error": "metrics_not_ready"}, errors.MetricsNotReadyError, None, None),
        (409, {"error": "version_conflict", "currentVersion": "7"}, errors.VersionConflictError,
         "current_version", "7"),
        (409, {"error": "version_conflict", "details": [{"current_version": "9"}]},
         errors.VersionConflictError, "current_version", "9"),
        (409, {"error": "name_conflict", "id": "int_1"}, errors.NameConflictError, "existing_id", "int_1"),
        (409, {"error": "dependency_conflict"}, errors.DependencyConflictError, None, None),
        (409, {"error": "something_else"}, errors.ConflictError, None, None),
        (400, {"error": "validation_error", "details": [{"field": "patterns[0]", "message": "too long"}]},
         errors.RequestRejectedError, "details", [{"field": "patterns[0]", "message": "too long"}]),
        (422, {"error": "idempotency_mismatch"}, errors.RequestRejectedError, None, None),
        (500, None, errors.ServerError, "transient", True),
        (503, {"error": "unavailable"}, errors.ServerError, "transient", True),
        (501, None, errors.ServerError, "transient", False),
        (418, "not json object", errors.BackendError, None, None),
    ],
)
def test_status_maps_to_class(status, body, cls, attr, value) -> None:
    err = failures.from_response(requesting.PLATFORM, "PUT", "/api/v1/slots/s1", status, body, {})
    assert type(err) is cls
    assert err.status == status
    assert (err.method, err.path) == ("PUT", "/api/v1/slots/s1")
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"Platform API PUT /api/v1/slots/s1 -> {status}")
    if attr is not None:
        assert getattr(err, attr) == value
    if status < 500 and status != 418:
        assert err.hint, "every expected failure says what to do"


def test_429_carries_retry_after() -> None:
    err = failures.from_response(requesting.PLATFORM, "GET", "/api/v1/bots", 429,
                                 {"error": "rate_limited"}, {"retry-after": "7"})
    assert isinstance(err, errors.RateLimitedError)
    assert err.retry_after == 7.0
    assert "retry after 7s" in str(err)


def test_message_never_quotes_server_newlines() -> None:
    err = failures.from_response(requesting.PLATFORM, "GET", "/x", 404,
                                 {"error": "not_found", "message": "a\nb"}, {})
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("exc", "not_sent", "word"),
    [
        (httpx.ConnectError("refused"), True, "failed"),
        (httpx.ConnectTimeout("slow"), True, "timed out"),
        (httpx.ReadTimeout("slow"), False, "timed out"),
        (httpx.RemoteProtocolError("reset"), False, "failed"),
    ],
)
def test_transport_errors(exc, not_sent, word) -> None:
    err = failures.from_transport(requesting.PLATFORM, "POST", "/api/v1/integrations", exc)
    assert isinstance(err, errors.TransportError)
    assert err.status is None
    assert err.transient
    assert (err.code == retrying.NOT_SENT) is not_sent
    assert word in str(err)
