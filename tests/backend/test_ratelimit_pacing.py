"""Pacing to the server's quota over many windows, in emulated time (``FakeClock(concurrent=True)``).

The emulator in-process and every client share one virtual clock that jumps only when no
task can run, so two clients waiting side by side wake together and a 20-window apply takes
a second of real time. Figures asserted are emulated seconds and request counts, never wall
time.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import pytest
from fakes import FakeClock

from reconciler.backend import ratelimit
from reconciler.backend.client import PlatformBackend
from reconciler.backend.httpkit import retrying
from reconciler.emulator.platform import TenantState, create_app

from .conftest import SECRETS, TENANT

READ = ("cognigy:platform:read",)


def _emulator(limit: int, window: Literal["fixed", "sliding"],
              clock: FakeClock) -> tuple[TenantState, Any]:
    state = TenantState.from_fixture(TENANT)
    state.settings.rateLimitPerMinute = limit
    state.settings.rateLimitWindow = window
    return state, create_app(state, clock=clock)


def _backend(app: Any, clock: FakeClock) -> PlatformBackend:
    import httpx

    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, wall=clock, jitter=lambda: 1.0)
    return PlatformBackend(base_url="http://emulator", client_id="reader",
                           client_secret=SECRETS["reader"], scopes=READ,
                           transport=httpx.ASGITransport(app=app), retry=policy)


async def _reads(backend: PlatformBackend, count: int, concurrency: int = 4) -> None:
    left = iter(range(count))

    async def worker() -> None:
        for _ in left:
            await backend.get_slot("slot_zip")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_twenty_windows_within_two_percent_of_the_bound_and_no_429(
    window: Literal["fixed", "sliding"],
) -> None:
    clock = FakeClock(concurrent=True)
    state, app = _emulator(100, window, clock)
    started = clock.now

    async def scenario() -> None:
        async with _backend(app, clock) as backend:
            await _reads(backend, 2000)

    asyncio.run(scenario())
    statuses = [e.status for e in state.requests]
    assert statuses.count(429) == 0
    assert len(statuses) == 2001  # the token request and 2,000 reads
    bound = 2001 / 100 * 60
    assert clock.now - started <= 1.02 * bound


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_a_second_client_sharing_the_quota_draws_no_429(
    window: Literal["fixed", "sliding"],
) -> None:
    """Two runs with the same credentials share one per-client quota at the emulator."""
    clock = FakeClock(concurrent=True)
    state, app = _emulator(100, window, clock)
    started = clock.now
    seen: list[ratelimit.TokenBucket] = []

    async def one(count: int) -> None:
        async with _backend(app, clock) as backend:
            await _reads(backend, count)
            seen.append(backend.limiter)

    async def scenario() -> None:
        await asyncio.gather(one(300), one(300))

    asyncio.run(scenario())
    statuses = [e.status for e in state.requests]
    assert statuses.count(429) == 0
    assert len(statuses) == 602
    assert len(seen) == 2
    # Sharing costs a reserve per window, not the pace: still close to the bound.
    assert clock.now - started <= 1.15 * (602 / 30 * 60)


def test_remaining_dropping_faster_than_own_spend_keeps_a_reserve() -> None:
    clock = FakeClock(concurrent=True)
    bucket = ratelimit.TokenBucket(clock=clock, sleep=clock.sleep)
    bucket.on_answer(status=200, limit="100", remaining="50", reset="60", retry_after=None)
    assert bucket.quota == 50
    asyncio.run(bucket.acquire())  # our view: 49 left
    bucket.on_answer(status=200, limit="100", remaining="40", reset="59", retry_after=None)
    assert bucket.others_seen == 9
    assert bucket.reserve == 9
    assert bucket.quota == 40

    async def spend() -> float:
        for _ in range(31):
            await bucket.acquire()
            bucket.release()
        return clock.now

    start = clock.now
    # 40 left, 9 kept for the others: 31 go now, the next waits for the reset.
    assert asyncio.run(spend()) == start
    waited = asyncio.run(bucket.acquire())
    assert waited == pytest.approx(59.0)


def test_an_unexpected_429_pauses_and_grows_the_reserve() -> None:
    clock = FakeClock(concurrent=True)
    bucket = ratelimit.TokenBucket(clock=clock, sleep=clock.sleep)
    bucket.on_answer(status=200, limit="100", remaining="50", reset="60", retry_after=None)
    asyncio.run(bucket.acquire())
    bucket.on_answer(status=429, limit="100", remaining="0", reset="30", retry_after=12.0)
    assert bucket.unexpected_429 == 1
    assert bucket.reserve >= 1
    start = clock.now
    waited = asyncio.run(bucket.acquire())  # a probe, after Retry-After
    assert waited == pytest.approx(12.0)
    assert clock.now == pytest.approx(start + 12.0)


def test_an_expected_429_is_not_taken_for_another_client() -> None:
    clock = FakeClock(concurrent=True)
    bucket = ratelimit.TokenBucket(clock=clock, sleep=clock.sleep)
    bucket.on_answer(status=200, limit="100", remaining="0", reset="5", retry_after=None)
    bucket.on_answer(status=429, limit="100", remaining="0", reset="5", retry_after=5.0)
    assert bucket.unexpected_429 == 0
    assert bucket.reserve == 0


class _Blind:
    """A server that sends no rate-limit headers (as Cognigy.AI documents it): 1,000
    requests per 5-minute fixed window, then 429 with Retry-After."""

    def __init__(self, clock: FakeClock, limit: int = 1000, window: float = 300.0) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self.hits: list[float] = []
        self.refused = 0

    def answer(self) -> tuple[int, float | None]:
        now = self.clock.now
        start = math.floor(now / self.window) * self.window
        if sum(1 for t in self.hits if t >= start) >= self.limit:
            self.refused += 1
            return 429, start + self.window - now
        self.hits.append(now)
        return 200, None


def _drive(bucket: ratelimit.TokenBucket, server: _Blind,
           count: int) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run() -> None:
        left = iter(range(count))

        async def worker() -> None:
            for _ in left:
                while True:
                    await bucket.acquire()
                    status, retry = server.answer()
                    await asyncio.sleep(0)
                    bucket.on_answer(status=status, limit=None, remaining=None, reset=None,
                                     retry_after=retry)
                    if status != 429:
                        break

        await asyncio.gather(*(worker() for _ in range(4)))

    return run


def test_without_headers_the_documented_quota_paces_every_window() -> None:
    clock = FakeClock(concurrent=True)
    server = _Blind(clock)
    bucket = ratelimit.TokenBucket(limit_per_minute=1000, window_seconds=300.0,
                                   clock=clock, sleep=clock.sleep)
    assert not bucket.server_paced
    asyncio.run(_drive(bucket, server, 3000)())
    assert server.refused == 0
    hits = server.hits
    for i, start in enumerate(hits):  # no 5-minute span, fixed or sliding, above the quota
        assert sum(1 for t in hits[i:i + 1001] if t < start + 300.0) <= 1000


def test_without_headers_retry_after_drives_recovery() -> None:
    clock = FakeClock(concurrent=True)
    server = _Blind(clock, limit=50)
    # Configured too high: the server's 429s and Retry-After have to bring it in line.
    bucket = ratelimit.TokenBucket(limit_per_minute=1000, window_seconds=300.0,
                                   clock=clock, sleep=clock.sleep)
    asyncio.run(_drive(bucket, server, 120)())
    assert len(server.hits) == 120
    assert server.refused >= 1
    assert bucket.unexpected_429 == 0, "blind: every 429 is the quota's, not another client's"
    assert clock.now - server.hits[0] >= 2 * 300.0 - 1e-6  # 120 requests need three windows


