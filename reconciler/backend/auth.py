"""The bearer token of one client: fetched once, shared, refreshed ahead of expiry.

OAuth2 client credentials (RFC 6749 section 4.4). The token is refreshed when less than
``min(60 s, 10 % of its lifetime)`` remains, and once more when the server answers 401 to
it. Concurrent requests share one refresh: whoever finds the token stale takes the lock and
fetches; everyone queued behind finds a fresh token and uses it. The token value is never
logged and never part of an error message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reconciler.clock import Clock

REFRESH_AHEAD_MAX_SECONDS = 60.0
REFRESH_AHEAD_SHARE = 0.1


@dataclass(frozen=True)
class Grant:
    """What a token request answered. ``expires_in`` is seconds from when it was asked."""

    access_token: str
    expires_in: float
    scope: str | None = None


class TokenCache:
    """Invariant: ``_token`` is None or valid until ``_refresh_at`` by the injected clock."""

    def __init__(
        self, fetch: Callable[[], Awaitable[Grant]], *, clock: Clock = time.monotonic
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.granted_scope: str | None = None
        self.fetches = 0

    def _fresh(self) -> str | None:
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        return None

    async def get(self) -> str:
        """A token valid for a while yet; fetches one (once, for all waiters) if needed."""
        token = self._fresh()
        if token is not None:
            return token
        async with self._lock:
            token = self._fresh()
            if token is not None:
                return token
            return await self._renew()

    async def refresh(self, stale: str) -> str:
        """After a 401 on ``stale``: a new token, unless another request already got one."""
        async with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            return await self._renew()

    async def _renew(self) -> str:
        asked_at = self._clock()
        grant = await self._fetch()
        self.fetches += 1
        ttl = max(0.0, grant.expires_in)
        ahead = min(REFRESH_AHEAD_MAX_SECONDS, ttl * REFRESH_AHEAD_SHARE)
        self._token = grant.access_token
        self._refresh_at = asked_at + ttl - ahead
        self.granted_scope = grant.scope
        return grant.access_token
