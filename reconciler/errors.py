"""The project's own errors: one base class, mapped to exit codes at the CLI edge.

The tree::

    CogctlError                      exit 1 unless said otherwise; ``hint`` says what to do
    ├── ManifestError                invalid manifests or cogctl.yaml (carries diagnostics)
    ├── ConfigError                  missing credentials, unknown environment, bad flags
    ├── BackendError                 anything an HTTP API answered or failed to answer
    │   ├── TransportError           timeouts, resets, refused connections (transient)
    │   ├── RateLimitedError         429 (transient; ``retry_after`` seconds)
    │   ├── ServerError              5xx (transient for 500, 502, 503, 504)
    │   ├── UnauthorizedError        401 after one token refresh
    │   ├── ForbiddenError           403 ``forbidden`` (another workspace)
    │   │   └── InsufficientScopeError   403 ``insufficient_scope`` (names the scope)
    │   ├── NotFoundError            404
    │   │   └── MetricsNotReadyError 404 ``metrics_not_ready``
    │   ├── ConflictError            409
    │   │   ├── VersionConflictError     409 ``version_conflict`` (``current_version``)
    │   │   ├── NameConflictError        409 ``name_conflict`` (``existing_id``)
    │   │   └── DependencyConflictError  409 ``dependency_conflict``
    │   └── RequestRejectedError     400 / 422 (validation; ``details``)
    ├── StalePlanError               a saved plan whose live state has changed since
    ├── AuditError                   the audit log cannot be written: no further write is sent
    └── ApplyError                   apply stopped part-way (carries what was and was not done)

A failed verification is no error: it is a result (``engine.verifying.VerifyReport``) that
the commands render in full before they exit 3 (``cli._common.EXIT_VERIFY_FAILED``).

HTTP status maps to these classes in exactly one place: ``reconciler.backend.httpkit.failures``,
for an origin (Platform API, Cognigy.AI API, GitHub API, webhook, integration probe) that every
message names. httpx exceptions never leave the HTTP toolkit, ``reconciler.backend.httpkit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class CogctlError(Exception):
    """Base of every error we raise on purpose. ``str(err)`` is one clear line."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ManifestError(CogctlError):
    """Manifests or the project file are invalid; ``diagnostics`` holds every problem found."""

    def __init__(self, message: str, *, diagnostics: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class ConfigError(CogctlError):
    """The run cannot start: credentials, environment names, flags that contradict."""


class BackendError(CogctlError):
    """An HTTP API refused a request or could not be reached (the message says which API).

    Invariant: ``status`` is None exactly when no HTTP answer arrived (``TransportError``).
    ``retry_after`` is the wait the answer asked for (``Retry-After``), in seconds, if any.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        code: str | None = None,
        details: Sequence[Any] = (),
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.details = list(details)
        self.retry_after = retry_after


class TransportError(BackendError):
    transient = True


class RateLimitedError(BackendError):
    transient = True


class ServerError(BackendError):
    """5xx. 500, 502, 503 and 504 are transient; others are not."""

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.transient = self.status in {500, 502, 503, 504}


class UnauthorizedError(BackendError):
    pass


class ForbiddenError(BackendError):
    pass


class InsufficientScopeError(ForbiddenError):
    def __init__(self, message: str, *, scope: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.scope = scope


class NotFoundError(BackendError):
    pass


class MetricsNotReadyError(NotFoundError):
    pass


class ConflictError(BackendError):
    pass


class VersionConflictError(ConflictError):
    def __init__(self, message: str, *, current_version: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.current_version = current_version


class NameConflictError(ConflictError):
    def __init__(self, message: str, *, existing_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.existing_id = existing_id


class DependencyConflictError(ConflictError):
    pass


class RequestRejectedError(BackendError):
    pass


class AuditError(CogctlError):
    """The audit log cannot record an entry; apply sends no write it could not record."""


class StalePlanError(CogctlError):
    """The saved plan was built from live state that has changed since."""


class ApplyError(CogctlError):
    """Apply stopped part-way. ``result`` says exactly what was and was not done."""

    def __init__(self, message: str, *, result: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result

