"""The retry policy: backoff, caps, which failures are retried, and the one log line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from reconciler import errors
from reconciler.backend.httpkit import retrying


def _server(status: int) -> errors.ServerError:
    return errors.ServerError(f"PUT /x -> {status}", method="PUT", path="/x", status=status)


def _limited(after: float | None) -> errors.RateLimitedError:
    return errors.RateLimitedError("429", retry_after=after, method="GET", path="/x", status=429)


def _transport(code: str | None) -> errors.TransportError:
    return errors.TransportError("no answer", method="POST", path="/x", code=code)


@pytest.mark.parametrize(
    ("exc", "repeatable", "expected"),
    [
        (_server(503), True, True),
        (_server(500), True, True),
        (_server(501), True, False),
        (_server(503), False, False),
        (_limited(1), False, True),
        (_transport(None), True, True),
        (_transport(None), False, False),
        (_transport(retrying.NOT_SENT), False, True),
        (errors.NotFoundError("404", status=404), True, False),
        (errors.VersionConflictError("409", status=409), True, False),
        (ValueError("bug"), True, False),
    ],
)
def test_is_retryable(exc, repeatable, expected) -> None:
    assert retrying.is_retryable(exc, repeatable=repeatable) is expected


@pytest.mark.parametrize(
    ("attempt", "jitter", "retry_after", "expected"),
    [
        (1, 1.0, None, 0.5),
        (2, 1.0, None, 1.0),
        (3, 0.5, None, 1.0),
        (10, 1.0, None, 30.0),  # capped per wait
        (1, 0.0, 4.0, 4.0),  # never sooner than Retry-After
        (4, 1.0, 1.0, 4.0),  # backoff above Retry-After is kept
    ],
)
def test_backoff_full_jitter(attempt, jitter, retry_after, expected) -> None:
    policy = retrying.RetryPolicy(jitter=lambda: jitter)
    assert policy.backoff(attempt, retry_after) == pytest.approx(expected)


def _run(policy: retrying.RetryPolicy, outcomes: Sequence[str | BaseException], *,
         repeatable: bool = True) -> tuple[str, list[int]]:
    calls: list[int] = []

    async def attempt(number: int) -> str:
        calls.append(number)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    logger = logging.getLogger("reconciler.backend")
    result = asyncio.run(retrying.call(policy, attempt, repeatable=repeatable, logger=logger))
    return result, calls


def test_retries_then_succeeds_and_logs_one_line_per_retry(clock, caplog) -> None:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, jitter=lambda: 1.0)
    caplog.set_level(logging.WARNING, logger="reconciler.backend")
    result, calls = _run(policy, [_server(503), _limited(2.5), "ok"])
    assert result == "ok"
    assert calls == [1, 2, 3]
    assert clock.sleeps == [0.5, 2.5]
    assert [r.getMessage() for r in caplog.records] == [
        "attempt 1/5 failed, retrying in 0.5s: PUT /x -> 503",
        "attempt 2/5 failed, retrying in 2.5s: GET /x -> 429",
    ]
    assert all(r.name == "reconciler.backend" for r in caplog.records)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0s"),
        (0.0004, "<0.001s"),
        (0.04, "0.04s"),
        (0.043, "0.043s"),
        (0.5, "0.5s"),
        (0.125, "0.12s"),
        (1.0, "1.0s"),
        (1.84, "1.8s"),
        (30.0, "30.0s"),
    ],
)
def test_waits_show_two_significant_digits_below_a_second(seconds: float, shown: str) -> None:
    assert retrying.format_wait(seconds) == shown


def test_a_sub_second_wait_is_never_logged_as_zero(clock, caplog) -> None:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, jitter=lambda: 0.08)
    caplog.set_level(logging.WARNING, logger="reconciler.backend")
    _run(policy, [_server(503), "ok"])
    assert [r.getMessage() for r in caplog.records] == [
        "attempt 1/5 failed, retrying in 0.04s: PUT /x -> 503",
    ]


def test_gives_up_after_attempts_with_the_last_error(clock) -> None:
    policy = retrying.RetryPolicy(attempts=3, sleep=clock.sleep, clock=clock, jitter=lambda: 0.0)
    with pytest.raises(errors.ServerError) as info:
        _run(policy, [_server(503), _server(502), _server(504), "never"])
    assert info.value.status == 504
    assert len(clock.sleeps) == 2


def test_total_cap_counts_the_wait_about_to_start(clock) -> None:
    policy = retrying.RetryPolicy(total_seconds=5.0, sleep=clock.sleep, clock=clock)
    with pytest.raises(errors.RateLimitedError):
        _run(policy, [_limited(3.0), _limited(3.0), "never"])
    assert clock.sleeps == [3.0]


def test_retry_after_beyond_the_wait_cap_gives_up(clock) -> None:
    policy = retrying.RetryPolicy(max_wait_seconds=10.0, sleep=clock.sleep, clock=clock)
    with pytest.raises(errors.RateLimitedError) as info:
        _run(policy, [_limited(60.0), "never"])
    assert info.value.retry_after == 60.0
    assert clock.sleeps == []


def test_unsafe_repeat_fails_at_once(clock) -> None:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock)
    with pytest.raises(errors.ServerError):
        _run(policy, [_server(503), "never"], repeatable=False)
    assert clock.sleeps == []


def test_non_transient_fails_at_once(clock) -> None:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock)
    with pytest.raises(errors.NotFoundError):
        _run(policy, [errors.NotFoundError("404", status=404), "never"])
    assert clock.sleeps == []


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retrying.RetryPolicy(attempts=0)
