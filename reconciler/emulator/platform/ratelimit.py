"""Per-client rate limiting over a 60-second window read from the clock.

``fixed`` windows start on whole minutes of the clock; ``sliding`` counts the requests of
the last 60 seconds. Either way every answer carries ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until a request is free again),
and a refused request gets ``429 rate_limited`` with ``Retry-After``, in seconds or, when
the fixture's ``settings.retryAfter`` is ``http-date``, as an HTTP-date. Refused
requests do not count against the limit. Hits are kept sorted (the clock does not go
back), so expiring them is a bisection, not a scan.
"""

from __future__ import annotations

import bisect
import email.utils
import math
from dataclasses import dataclass

from reconciler.emulator.platform import records, wire
from reconciler.emulator.platform.state import TenantState

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }

    def error(self, now: float, settings: records.Settings) -> wire.ApiError:
        retry = max(1, self.reset_seconds)
        return wire.ApiError(
            429, "rate_limited",
            f"more than {self.limit} requests per minute; retry in {retry} s",
            headers={"Retry-After": retry_after(retry, now, settings)},
        )


def retry_after(seconds: int, now: float, settings: records.Settings) -> str:
    """``Retry-After`` in the form the fixture asks for (``settings.retryAfter``)."""
    if settings.retryAfter == "http-date":
        # Rounded up to the next whole second: an HTTP-date has no fractions.
        return email.utils.formatdate(math.ceil(now) + seconds, usegmt=True)
    return str(seconds)


def admit(state: TenantState, key: str, now: float) -> Verdict:
    """Count one request of ``key`` at ``now`` unless the limit is reached."""
    limit = state.settings.rateLimitPerMinute
    hits = state.hits.setdefault(key, [])
    if state.settings.rateLimitWindow == "fixed":
        start = math.floor(now / WINDOW_SECONDS) * WINDOW_SECONDS
        del hits[: bisect.bisect_left(hits, start)]
        reset = start + WINDOW_SECONDS - now
    else:
        del hits[: bisect.bisect_right(hits, now - WINDOW_SECONDS)]
        reset = (hits[0] + WINDOW_SECONDS - now) if len(hits) >= limit else 0.0
    if len(hits) >= limit:
        return Verdict(False, limit, 0, max(1, math.ceil(reset)))
    hits.append(now)
    if state.settings.rateLimitWindow == "sliding":
        reset = hits[0] + WINDOW_SECONDS - now
    return Verdict(True, limit, limit - len(hits), max(0, math.ceil(reset)))


def forget_idle(state: TenantState, now: float) -> None:
    """Drop windows with no recent hit, so the saved state stays small."""
    for key in [k for k, hits in state.hits.items() if not hits or hits[-1] < now - 120]:
        del state.hits[key]
