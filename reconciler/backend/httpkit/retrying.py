"""The one retry policy of every HTTP client (tenacity), and the one ``Retry-After`` parser.

Transient failures (429, 500, 502, 503, 504, timeouts, connection errors; an origin may add
statuses of its own, see ``failures.Origin.transient``) are retried with full-jitter
exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"), never sooner
than the server's ``Retry-After`` (on a 429, or a 503 that gives one). Caps: attempts
(default 5), each wait (default 30 s; a ``Retry-After`` beyond it gives up rather than retry
early) and the total time (default 120 s, counting the wait about to start). Everything else
fails at once.

A request that may have reached the server is retried only when the caller says repeating
it is safe (``repeatable``: for the Platform client every method but POST, and a POST
carrying an ``Idempotency-Key``). A 429 or a refused connection is retried for any request,
since the server did not act on it.

Each retry logs one line on the logger the client passes (``reconciler.backend`` for the
Platform client)::

    attempt 2/5 failed, retrying in 1.8s: PUT /api/v1/slots/x -> 503

Waits under a second keep two significant digits (``retrying in 0.04s``), never ``0.0s``.
Sleep, clock and randomness are injectable so tests never wait on the wall clock.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from reconciler import errors
from reconciler.backend.httpkit import redacting
from reconciler.clock import Clock, Sleep

T = TypeVar("T")

LOGGER_NAME = "reconciler.backend"
# ``TransportError.code`` of a request that never left the client (connection refused).
NOT_SENT = "not_sent"


@dataclass(frozen=True)
class RetryPolicy:
    """Caps and the injectable effects of retrying. Invariant: ``attempts >= 1``."""

    attempts: int = 5
    base_seconds: float = 0.5
    max_wait_seconds: float = 30.0
    total_seconds: float = 120.0
    sleep: Sleep = field(default=asyncio.sleep, compare=False)
    clock: Clock = field(default=time.monotonic, compare=False)
    jitter: Clock = field(default=random.random, compare=False)
    # Wall-clock seconds since the epoch, to read a Retry-After given as an HTTP-date.
    wall: Clock = field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.max_wait_seconds, self.base_seconds * 2.0 ** (attempt - 1))
        wait = ceiling * self.jitter()
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


def is_retryable(exc: BaseException, *, repeatable: bool) -> bool:
    """Whether ``exc`` is a transient failure worth another attempt.

    ``repeatable`` says whether sending the same request twice is safe (see module docs).
    Which answers are transient is the error mapping's to say (``BackendError.transient``).
    """
    if isinstance(exc, errors.RateLimitedError):
        return True
    if isinstance(exc, errors.TransportError):
        return repeatable or exc.code == NOT_SENT
    if isinstance(exc, errors.BackendError):
        return repeatable and exc.transient
    return False


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


def _retry_after(exc: BaseException | None) -> float | None:
    return exc.retry_after if isinstance(exc, errors.BackendError) else None


def _outcome_text(exc: BaseException | None) -> str:
    if isinstance(exc, errors.BackendError):
        where = f"{exc.method} {exc.path}"
        return f"{where} -> {exc.status}" if exc.status is not None else f"{where} -> no answer"
    return type(exc).__name__


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome else None


def format_wait(seconds: float) -> str:
    """``1.8s`` from a second up; below it two significant digits (``0.04s``), not ``0.0s``."""
    if seconds >= 1:
        return f"{seconds:.1f}s"
    if seconds <= 0:
        return "0s"
    if seconds < 0.001:  # 2 significant digits would switch to exponent notation
        return "<0.001s"
    return f"{seconds:.2g}s"


def _tenacity(
    policy: RetryPolicy, *, started: float, repeatable: bool, logger: logging.Logger
) -> tenacity.AsyncRetrying:
    """The policy in tenacity's terms: what to retry, how long to wait, when to stop."""

    def _wait(state: tenacity.RetryCallState) -> float:
        return policy.backoff(state.attempt_number, _retry_after(_failure(state)))

    def _stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= policy.attempts:
            return True
        retry_after = _retry_after(_failure(state))
        if retry_after is not None and retry_after > policy.max_wait_seconds:
            return True  # waiting less would be refused again; waiting more breaks the cap
        elapsed = policy.clock() - started
        return elapsed + state.upcoming_sleep > policy.total_seconds

    def _log(state: tenacity.RetryCallState) -> None:
        logger.warning(
            "attempt %d/%d failed, retrying in %s: %s",
            state.attempt_number, policy.attempts, format_wait(state.upcoming_sleep),
            _outcome_text(_failure(state)),
        )

    return tenacity.AsyncRetrying(
        sleep=policy.sleep,
        stop=_stop,
        wait=_wait,
        retry=tenacity.retry_if_exception(lambda e: is_retryable(e, repeatable=repeatable)),
        before_sleep=_log,
        reraise=True,
    )


async def call(
    policy: RetryPolicy,
    attempt_fn: Callable[[int], Awaitable[T]],
    *,
    repeatable: bool,
    logger: logging.Logger,
) -> T:
    """Run ``attempt_fn(attempt_number)`` under the policy; raise the last error when done.

    Only ``reconciler.errors.BackendError`` is ever retried; anything else propagates at once.
    The first attempt runs outside tenacity (most requests succeed at once, and building the
    retry machinery costs more than a fast request); its failure is handed to tenacity as
    attempt 1, so waits, caps and log lines are the same as if tenacity had run it.
    """
    started = policy.clock()
    try:
        redacting.ATTEMPT.set(1)
        return await attempt_fn(1)
    except errors.BackendError as exc:
        if policy.attempts == 1 or not is_retryable(exc, repeatable=repeatable):
            raise
        first_failure = exc

    async for attempt in _tenacity(policy, started=started, repeatable=repeatable,
                                   logger=logger):
        with attempt:
            number = attempt.retry_state.attempt_number
            if number == 1:
                raise first_failure
            redacting.ATTEMPT.set(number)
            return await attempt_fn(number)
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover
