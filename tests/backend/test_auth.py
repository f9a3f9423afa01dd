"""The token cache: refresh ahead of expiry, one refresh shared by concurrent requests."""

from __future__ import annotations

import asyncio

import pytest
from fakes import FakeClock

from reconciler.backend import auth


def _cache(clock: FakeClock, ttl: float = 3600.0) -> tuple[auth.TokenCache, list[str]]:
    issued: list[str] = []

    async def fetch() -> auth.Grant:
        await asyncio.sleep(0)  # let every concurrent caller reach the lock
        issued.append(f"t{len(issued) + 1}")
        return auth.Grant(access_token=issued[-1], expires_in=ttl)

    return auth.TokenCache(fetch, clock=clock), issued


@pytest.mark.parametrize(
    ("ttl", "refresh_after"),
    [(3600.0, 3540.0), (300.0, 270.0), (1.0, 0.9), (600.0, 540.0)],
)
def test_refreshes_ahead_of_expiry(clock, ttl, refresh_after) -> None:
    cache, issued = _cache(clock, ttl)
    start = clock.now

    async def run() -> None:
        assert await cache.get() == "t1"
        clock.now = start + refresh_after - 0.01
        assert await cache.get() == "t1"
        clock.now = start + refresh_after
        assert await cache.get() == "t2"

    asyncio.run(run())
    assert issued == ["t1", "t2"]


def test_concurrent_requests_share_one_fetch(clock) -> None:
    cache, issued = _cache(clock)

    async def run() -> set[str]:
        return set(await asyncio.gather(*(cache.get() for _ in range(50))))

    assert asyncio.run(run()) == {"t1"}
    assert issued == ["t1"]


def test_refresh_after_401_happens_once_for_the_same_stale_token(clock) -> None:
    cache, issued = _cache(clock)

    async def run() -> set[str]:
        stale = await cache.get()
        return set(await asyncio.gather(*(cache.refresh(stale) for _ in range(20))))

    assert asyncio.run(run()) == {"t2"}
    assert issued == ["t1", "t2"]
