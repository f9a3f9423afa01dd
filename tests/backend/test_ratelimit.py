"""The token bucket: steady rate at 90 % of the limit, burst of 10 %, pauses after a 429."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from reconciler.backend import ratelimit


def _bucket(clock, limit=None):
    return ratelimit.TokenBucket(limit_per_minute=limit, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("limit", "rate", "capacity"),
    [(100, 1.5, 10.0), (60, 0.9, 6.0), (5, 0.075, 1.0), (1, 0.015, 1.0), (6000, 90.0, 600.0)],
)
def test_rate_and_burst(clock, limit, rate, capacity) -> None:
    bucket = _bucket(clock, limit)
    assert bucket.rate == pytest.approx(rate)
    assert bucket.capacity == capacity


def _burst(bucket, clock, n):
    async def run() -> list[float]:
        times: list[float] = []

        async def one() -> None:
            await bucket.acquire()
            times.append(clock.now)

        await asyncio.gather(*(one() for _ in range(n)))
        return times

    return asyncio.run(run())


@pytest.mark.parametrize("limit", [100, 37, 600])
def test_no_window_of_sixty_seconds_exceeds_the_limit(clock, limit) -> None:
    bucket = _bucket(clock, limit)
    times = _burst(bucket, clock, 3 * limit)
    assert times == sorted(times)
    for i, start in enumerate(times):
        in_window = bisect.bisect_left(times, start + 60.0) - i
        assert in_window <= limit
    # and the steady rate is 90 %: the whole burst takes about (n - burst) / rate seconds
    expected = (3 * limit - bucket.capacity) / bucket.rate
    assert times[-1] - times[0] == pytest.approx(expected, rel=0.01)


def test_default_is_the_contract_limit_until_learned(clock) -> None:
    bucket = _bucket(clock)
    assert bucket.limit_per_minute == 100
    bucket.learn_limit("1000")
    assert bucket.limit_per_minute == 1000
    bucket.learn_limit("garbage")
    bucket.learn_limit(None)
    bucket.learn_limit("0")
    assert bucket.limit_per_minute == 1000


def test_configured_limit_is_not_overridden(clock) -> None:
    bucket = _bucket(clock, 50)
    bucket.learn_limit("1000")
    assert bucket.limit_per_minute == 50


def test_pause_holds_every_waiter_and_empties_the_bucket(clock) -> None:
    bucket = _bucket(clock, 600)
    start = clock.now
    bucket.pause(4.0)
    times = _burst(bucket, clock, 3)
    assert min(times) >= start + 4.0
    # the bucket restarts empty, so requests resume at the steady rate
    assert times[1] - times[0] == pytest.approx(1 / bucket.rate)


def test_acquire_reports_its_wait(clock) -> None:
    bucket = _bucket(clock, 60)  # burst 6, then one per 1/0.9 s
    waits = [asyncio.run(bucket.acquire()) for _ in range(7)]
    assert waits[:6] == [0.0] * 6
    assert waits[6] == pytest.approx(1 / 0.9)


@pytest.mark.parametrize(
    ("remaining", "reset", "in_flight", "sent_before_waiting"),
    [("50", "10", 1, 12), ("4", "10", 1, 3), ("4", "10", 3, 1), ("1", "7", 1, 0)],
)
def test_server_quota_is_spent_then_waits_for_reset(
    clock, remaining, reset, in_flight, sent_before_waiting
) -> None:
    # a burst of 10 when blind; the server's count wins here, less one left for a newcomer
    bucket = _bucket(clock, 100)
    bucket.in_flight = in_flight
    bucket.learn_remaining(remaining, reset)
    bucket.in_flight = 0
    start = clock.now

    async def run() -> list[float]:
        times: list[float] = []

        async def one() -> None:
            await bucket.acquire()
            times.append(clock.now)
            # the server answers after its window moved on: 100 left, next reset in 60 s
            bucket.on_answer(status=200, limit="100", remaining="100", reset="60",
                             retry_after=None)

        await asyncio.gather(*(one() for _ in range(12)))
        return times

    times = asyncio.run(run())
    assert sum(1 for t in times if t == start) == sent_before_waiting
    if sent_before_waiting < 12:
        assert times[sent_before_waiting] == pytest.approx(start + float(reset))


@pytest.mark.parametrize(("remaining", "reset"), [(None, "7"), ("x", "7"), ("-1", "7")])
def test_unusable_counts_leave_the_bucket_in_charge(clock, remaining, reset) -> None:
    bucket = _bucket(clock, 100)
    bucket.learn_remaining(remaining, reset)
    assert not bucket.server_paced
    start = clock.now
    assert sum(1 for t in _burst(bucket, clock, 12) if t == start) == 10


def test_stale_answers_do_not_raise_the_quota(clock) -> None:
    bucket = _bucket(clock, 100)
    bucket.learn_remaining("2", "30")
    bucket.learn_remaining("40", "30")  # an earlier request's answer, arriving late
    assert bucket.quota == 2
    clock.now += 30
    bucket.learn_remaining("40", "30")  # a new window
    assert bucket.quota == 40


def test_release_never_goes_negative(clock) -> None:
    bucket = _bucket(clock, 100)
    asyncio.run(bucket.acquire())
    assert bucket.in_flight == 1
    bucket.release()
    bucket.release()
    assert bucket.in_flight == 0
