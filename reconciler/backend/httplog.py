"""One debug line per HTTP exchange, for every HTTP client of cogctl, with secrets redacted.

``--debug`` or ``COGCTL_LOG_LEVEL=DEBUG`` shows, on stderr::

    http GET https://tenant.example.com/api/v1/bots?limit=100 -> 200 in 0.012s (attempt 1)

Used by the Platform client (``requesting``), the GitHub client, the integration probe (all
three through ``event_hooks``) and the webhook sender (``log_exchange`` with ``path=False``:
a webhook URL's path is often its credential). Headers and bodies are never logged; a query
parameter whose name looks secret shows ``(redacted)``, and so does any user:password.
The attempt number comes from ``ATTEMPT``, which the retry loops set around each attempt.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

LOGGER = logging.getLogger("reconciler.http")
ATTEMPT: contextvars.ContextVar[int] = contextvars.ContextVar("cogctl_http_attempt", default=1)
REDACTED = "(redacted)"
_SECRET_NAME = re.compile(
    r"secret|token|passw(or)?d|auth|api[_-]?key|key|sig(nature)?|code|credential|session",
    re.IGNORECASE,
)
_STARTED = "cogctl_started"


def redact_url(url: str, *, path: bool = True) -> str:
    """``url`` with user info and secret-looking query values replaced (and, with
    ``path=False``, the whole path and query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if parts.username or parts.password:
        host = f"{REDACTED}@{host}"
    if not path:
        return urlunsplit((parts.scheme, host, f"/{REDACTED}" if parts.path.strip("/") else "",
                           "", ""))
    query = urlencode([(name, REDACTED if _SECRET_NAME.search(name) else value)
                       for name, value in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="()")
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def log_exchange(method: str, url: str, status: int | str, seconds: float, *,
                 path: bool = True) -> None:
    """Log one request and its answer (a status code, or what went wrong) at DEBUG."""
    if LOGGER.isEnabledFor(logging.DEBUG):
        LOGGER.debug("http %s %s -> %s in %.3fs (attempt %d)", method,
                     redact_url(url, path=path), status, seconds, ATTEMPT.get())


async def _on_request(request: httpx.Request) -> None:
    request.extensions[_STARTED] = time.monotonic()


async def _on_response(response: httpx.Response) -> None:
    request = response.request
    started = request.extensions.get(_STARTED, time.monotonic())
    log_exchange(request.method, str(request.url), response.status_code,
                 time.monotonic() - started)


def event_hooks() -> dict[str, list[Callable[[Any], Awaitable[None]]]]:
    """``httpx.AsyncClient(event_hooks=...)`` that log every exchange of the client."""
    return {"request": [_on_request], "response": [_on_response]}
