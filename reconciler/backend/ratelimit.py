"""A client-side token bucket shared by every concurrent request of one client.

The bucket refills at 90 % of the tenant's per-minute limit and holds at most the other
10 % as burst, so in any 60-second window the client sends at most ``limit`` requests,
whether the server counts in fixed or sliding windows: in steady state no request earns a
429. The limit is configured, or learned from ``X-RateLimit-Limit``; until then the
contract's documented 100 per minute is assumed.

The server's own count wins where it is stricter: other clients may share the quota, or an
earlier command used it. ``X-RateLimit-Remaining`` (less the requests still in flight, which
the server may not have counted yet) is a quota that refills only at ``X-RateLimit-Reset``;
with none left, requests wait for the reset instead of earning a 429. A 429 pauses every
waiting request until its ``Retry-After`` has passed and empties the bucket.

Waiters queue on one lock in arrival order, so a burst of N requests wakes N times, not N².
Clock and sleep are injectable so tests run bursts without wall time.
"""

from __future__ import annotations

import asyncio
import time

from reconciler.clock import Clock, Sleep

DEFAULT_LIMIT_PER_MINUTE = 100
SHARE = 0.9
# Float refill after a computed sleep can land a hair under one token.
_EPSILON = 1e-9


class TokenBucket:
    """Invariants: ``0 <= tokens <= capacity``; ``rate`` is tokens per second; ``quota`` is
    None (the server's count unknown) or the requests the server allows until
    ``quota_until``; ``in_flight`` counts requests acquired and not yet ``release``d."""

    def __init__(
        self,
        *,
        limit_per_minute: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._fixed = limit_per_minute is not None
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._updated = clock()
        self.limit_per_minute = 0
        self.rate = 0.0
        self.capacity = 0.0
        self.tokens = 0.0
        self.quota: int | None = None
        self.quota_until = 0.0
        self.in_flight = 0
        self._configure(limit_per_minute or DEFAULT_LIMIT_PER_MINUTE)
        self.tokens = self.capacity

    def _configure(self, limit_per_minute: int) -> None:
        self.limit_per_minute = limit_per_minute
        self.rate = limit_per_minute * SHARE / 60.0
        self.capacity = max(1.0, float(limit_per_minute - int(limit_per_minute * SHARE)))
        self.tokens = min(self.tokens, self.capacity)

    def learn_limit(self, header: str | None) -> None:
        """Adopt the tenant's ``X-RateLimit-Limit`` unless a limit was configured."""
        if self._fixed or header is None:
            return
        try:
            limit = int(header.strip())
        except ValueError:
            return
        if limit > 0 and limit != self.limit_per_minute:
            self._refill()
            self._configure(limit)

    def learn_remaining(self, remaining: str | None, reset: str | None) -> None:
        """Adopt the server's count from one answer, before that request is ``release``d."""
        try:
            left = int(remaining) if remaining is not None else None
            reset_seconds = float(reset) if reset is not None else 0.0
        except ValueError:
            return
        if left is None or left < 0:
            return
        others = max(0, self.in_flight - 1)  # sent after this one; maybe not counted yet
        quota = max(0, left - others)
        now = self._clock()
        # Answers arrive out of order: within a window keep the stricter count.
        if self.quota is None or now >= self.quota_until or quota < self.quota:
            self.quota = quota
            self.quota_until = now + max(0.0, reset_seconds)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends for ``seconds``; the bucket starts empty afterwards."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
        self.tokens = 0.0
        self._updated = max(self._updated, self._paused_until)

    def release(self) -> None:
        """One acquired request got its answer (or failed for good)."""
        self.in_flight = max(0, self.in_flight - 1)

    def _refill(self) -> None:
        now = self._clock()
        if now > self._updated:
            self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
            self._updated = now
        if self.quota is not None and now >= self.quota_until:
            self.quota = None  # the server's window has reset; its next answer tells more

    def _blocked_for(self) -> float:
        """Seconds until the pause or the server's exhausted quota ends; 0 when neither."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if self.quota is not None and self.quota < 1:
            return max(self.quota_until - now, _EPSILON)
        return 0.0

    async def acquire(self) -> float:
        """Wait for one token; return the seconds spent waiting (for observers and tests)."""
        waited = 0.0
        async with self._lock:
            earned = False
            while True:
                self._refill()
                blocked = self._blocked_for()
                if blocked > 0:
                    await self._sleep(blocked)
                    waited += blocked
                    earned = False
                    continue
                if earned:
                    # We slept exactly one token's worth: credit it even when the clock reads
                    # a hair early (float rounding far from zero, coarse clocks).
                    self.tokens = max(self.tokens, 1.0)
                if self.tokens >= 1.0 - _EPSILON:
                    self.tokens = max(0.0, self.tokens - 1.0)
                    if self.quota is not None:
                        self.quota -= 1
                    self.in_flight += 1
                    return waited
                delay = (1.0 - self.tokens) / self.rate
                await self._sleep(delay)
                waited += delay
                earned = True
