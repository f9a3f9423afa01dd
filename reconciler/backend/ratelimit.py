"""The client-side rate limiter shared by every concurrent request of one client.

Two modes, chosen by what the server says:

- **Server-paced** (from the first answer carrying ``X-RateLimit-Remaining``, which the
  Platform API always sends): the server's own count is the quota. Requests go out while
  the last ``Remaining`` (less this client's requests still in flight, which the server may
  not have counted yet, less every request sent since) is positive; with none left they
  wait for ``X-RateLimit-Reset``, then send one probe at a time until an answer tells the
  new count. A long apply therefore uses the whole quota of every window, fixed or sliding,
  and never earns a 429 on its own.
- **Blind** (no such header; Cognigy.AI documents 1,000 requests per 5 minutes and sends
  none): a token bucket over the configured quota (``limit`` per ``window_seconds``;
  default the contract's 100 per minute, or ``X-RateLimit-Limit`` once learned) refills at
  90 % of it and holds the other 10 % as burst, so no window of either kind sees more than
  the quota; ``Retry-After`` on a 429 pauses every request.

A newcomer (another run with the same credentials, say) knows nothing before its first
answer, so every window keeps a courtesy request or 1 % of the limit unspent for it: the
price is that 1 % of the pace. Other clients sharing the quota show as ``Remaining``
dropping faster than this client's own spend could explain (the server's count can only be
lower than our view by what others sent), or as a 429 the count did not predict. Either
keeps a reserve: this client leaves the largest burst it saw others take between two of its
answers unspent (at least one request, at most a quarter of the limit) for two windows
after it last saw them, and after an unexpected 429 it waits ``Retry-After`` and grows
that reserve.

Waiters queue on one lock in arrival order, so a burst of N requests wakes N times, not N².
Clock and sleep are injectable so tests run multi-window applies in emulated time.
"""

from __future__ import annotations

import asyncio
import time

from reconciler.clock import Clock, Sleep

DEFAULT_LIMIT_PER_MINUTE = 100
SHARE = 0.9
# Float refill after a computed sleep can land a hair under one token.
_EPSILON = 1e-9
RESERVE_WINDOWS = 2.0


class TokenBucket:
    """Invariants: ``0 <= tokens <= capacity``; ``rate`` is tokens per second; ``quota`` is
    None (the server's count unknown) or this client's view of the requests the server still
    allows, valid until ``quota_until`` (after which more may be free: one probe at a time);
    ``in_flight`` counts requests acquired and not yet ``release``d."""

    def __init__(
        self,
        *,
        limit_per_minute: int | None = None,
        window_seconds: float = 60.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._fixed = limit_per_minute is not None
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._answered = asyncio.Event()
        self._paused_until = 0.0
        self._updated = clock()
        self.window_seconds = float(window_seconds)
        self.limit_per_minute = 0  # the limit per window (a minute unless configured)
        self.rate = 0.0
        self.capacity = 0.0
        self.tokens = 0.0
        self.server_paced = False
        self.quota: int | None = None
        self.quota_until = 0.0
        self.in_flight = 0
        self.probing = False
        self.reserve = 0
        self.others_seen_until = 0.0
        self.others_seen = 0  # requests of other clients inferred so far (for reports)
        self.unexpected_429 = 0
        self._configure(limit_per_minute or DEFAULT_LIMIT_PER_MINUTE)
        self.tokens = self.capacity

    @property
    def courtesy(self) -> int:
        """Requests of every window left to a newcomer: 1 %, at least one."""
        return max(1, self.limit_per_minute // 100)

    def _configure(self, limit: int) -> None:
        self.limit_per_minute = limit
        self.rate = limit * SHARE / self.window_seconds
        self.capacity = max(1.0, float(limit - int(limit * SHARE)))
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
        now = self._clock()
        self.server_paced = True
        if self.quota is not None and now < self.quota_until and left < self.quota:
            # Without other clients the server's count is never below our view: every request
            # of ours it has counted, our view has already spent.
            self._saw_others(self.quota - left, now)
        others_in_flight = max(0, self.in_flight - 1)  # sent after this one; maybe uncounted
        quota = max(0, left - others_in_flight)
        # Answers arrive out of order: before the reset keep the stricter count.
        if self.quota is None or now >= self.quota_until or quota < self.quota:
            self.quota = quota
            self.quota_until = now + max(0.0, reset_seconds)
        self.probing = False
        self._answered.set()

    def on_answer(
        self,
        *,
        status: int,
        limit: str | None,
        remaining: str | None,
        reset: str | None,
        retry_after: float | None,
    ) -> None:
        """Everything one answer tells: its rate-limit headers, then release, then a 429.

        Whether a 429 was expected is judged on the view held before this answer.
        """
        expected = not self.server_paced or (
            self.quota is not None and self.quota < 1 and not self.probing
        )
        self.learn_limit(limit)
        self.learn_remaining(remaining, reset)
        self.release()
        if status == 429:
            if not expected:
                self.unexpected_429 += 1
                self._saw_others(self.reserve + 1, self._clock())
            self.pause(1.0 if retry_after is None else retry_after)

    def _saw_others(self, requests: int, now: float) -> None:
        cap = max(1, self.limit_per_minute // 4)
        self.others_seen += requests
        self.reserve = min(cap, max(self.reserve, requests, 1))
        self.others_seen_until = now + RESERVE_WINDOWS * self.window_seconds

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends for ``seconds``; the bucket starts empty afterwards."""
        now = self._clock()
        self._paused_until = max(self._paused_until, now + max(0.0, seconds))
        self.tokens = 0.0
        self._updated = max(self._updated, self._paused_until)
        if self.server_paced:
            self.quota, self.quota_until = 0, self._paused_until

    def release(self) -> None:
        """One acquired request got its answer (or failed for good)."""
        self.in_flight = max(0, self.in_flight - 1)
        if self.in_flight == 0:
            self.probing = False
        self._answered.set()

    def _refill(self) -> None:
        now = self._clock()
        if now > self._updated:
            self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
            self._updated = now
        if not self.server_paced and self.quota is not None and now >= self.quota_until:
            self.quota = None

    def _blocked_for(self) -> float:
        """Seconds until the pause or the server's exhausted quota ends; 0 when neither."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if not self.server_paced and self.quota is not None and self.quota < 1:
            return max(self.quota_until - now, _EPSILON)
        return 0.0

    def _take(self) -> None:
        self.in_flight += 1
        if self.quota is not None:
            self.quota = max(0, self.quota - 1)

    async def acquire(self) -> float:
        """Wait for one request's turn; return the seconds spent waiting (for observers)."""
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
                if self.server_paced:
                    step = await self._server_paced_step()
                    if step is None:
                        return waited
                    waited += step
                    continue
                if earned:
                    # We slept exactly one token's worth: credit it even when the clock reads
                    # a hair early (float rounding far from zero, coarse clocks).
                    self.tokens = max(self.tokens, 1.0)
                if self.tokens >= 1.0 - _EPSILON:
                    self.tokens = max(0.0, self.tokens - 1.0)
                    self._take()
                    return waited
                delay = (1.0 - self.tokens) / self.rate
                await self._sleep(delay)
                waited += delay
                earned = True

    async def _server_paced_step(self) -> float | None:
        """Take a request now (None) or wait for the reset or an answer (seconds slept)."""
        now = self._clock()
        reserve = max(self.reserve if now < self.others_seen_until else 0, self.courtesy)
        if self.quota is not None and self.quota >= 1 + reserve:
            self._take()
            return None
        if self.quota is None or now >= self.quota_until:
            # The window has moved: something may be free. One probe finds out.
            if not self.probing:
                self.probing = True
                self._take()
                return None
            self._answered.clear()
            await self._answered.wait()
            return 0.0
        delay = max(self.quota_until - now, _EPSILON)
        await self._sleep(delay)
        return delay
