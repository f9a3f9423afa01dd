"""One redaction of URLs, and one debug line per HTTP exchange, for every HTTP client of cogctl.

``--debug`` or ``COGCTL_LOG_LEVEL=DEBUG`` shows, on stderr::

    http GET https://tenant.example.com/api/v1/bots?limit=100 -> 200 in 0.012s (attempt 1)

``sending.Client`` logs every exchange it sends. Headers and bodies are never logged; a query
parameter whose name looks secret shows ``(redacted)``, and so does any user:password. A
client whose URL is itself a credential (a webhook's path often is) asks for ``path=False``:
only the scheme and host are shown, then and in every error and log line about it.
The attempt number comes from ``ATTEMPT``, which ``retrying.call`` sets around each attempt.
"""

from __future__ import annotations

import contextvars
import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

LOGGER = logging.getLogger("reconciler.http")
ATTEMPT: contextvars.ContextVar[int] = contextvars.ContextVar("cogctl_http_attempt", default=1)
REDACTED = "(redacted)"
_SECRET_NAME = re.compile(
    r"secret|token|passw(or)?d|auth|api[_-]?key|key|sig(nature)?|code|credential|session",
    re.IGNORECASE,
)


def redact_url(url: str, *, path: bool = True) -> str:
    """``url`` with user info and secret-looking query values replaced (and, with
    ``path=False``, the whole path and query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
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
