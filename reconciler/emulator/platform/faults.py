"""Injected faults (``PUT /_emulator/faults``): the transient failures clients must survive.

Kinds: ``429``, ``500``, ``502``, ``503``, ``504`` answer at once without doing anything;
``timeout`` holds the answer for ``timeoutSeconds`` (default 30, longer than a client's
timeout) and then answers ``504`` without doing anything; ``reset`` starts an answer and
drops the connection (see ``ConnectionDropped``); ``commit-then-503`` performs the request
and then answers ``503``, the case that duplicates creations in naive clients.

A scripted ``sequence`` is consumed first, one entry per API request (``null`` = no fault);
then each request draws a fault with probability ``rate`` from ``kinds``. Draws are seeded
by ``seed`` and the request's draw number, so a run replays exactly, also after a restart.
"""

from __future__ import annotations

import random

from reconciler.emulator.platform import records, wire

PRE_KINDS = frozenset({"429", "500", "502", "503", "504"})


class ConnectionDropped(ConnectionResetError):
    """Raised by the app for a ``reset`` fault after the answer's headers were sent.

    Over uvicorn the server then closes the connection mid-answer, so an HTTP client sees
    the peer close before the body (httpx: ``RemoteProtocolError``). In-process through
    ``httpx.ASGITransport`` the exception itself reaches the caller of the request (it is a
    ``ConnectionResetError``, an ``OSError``); embedded mode maps it to a transport error.
    """


def draw(config: records.FaultConfig) -> str | None:
    """The fault for the next API request, if any (mutates the config's position)."""
    if config.sequence:
        return config.sequence.pop(0)
    if config.rate <= 0 or not config.kinds:
        return None
    config.drawn += 1
    rng = random.Random(f"{config.seed}:{config.drawn}")
    if rng.random() >= config.rate:
        return None
    return rng.choice(config.kinds)


def early_error(kind: str, retry_after: str = "1") -> wire.ApiError:
    """The answer of a fault that answers without performing the request."""
    if kind == "429":
        return wire.ApiError(429, "rate_limited", "injected fault: rate limited",
                             headers={"Retry-After": retry_after})
    if kind == "reset":  # never sent: the connection is dropped instead
        return wire.ApiError(503, "connection_reset", "injected fault: connection reset")
    if kind == "timeout":
        return wire.ApiError(504, "gateway_timeout", "injected fault: the request timed out")
    messages = {"500": "internal_error", "502": "bad_gateway", "503": "service_unavailable",
                "504": "gateway_timeout"}
    return wire.ApiError(int(kind), messages[kind], f"injected fault: {kind}")


def commit_error() -> wire.ApiError:
    return wire.ApiError(503, "service_unavailable",
                         "injected fault: the request was performed, but the answer is lost")
