"""The one clock type every layer injects, so tests drive time instead of waiting for it.

``Clock`` reads seconds (``time.monotonic`` in production); ``Sleep`` waits
(``asyncio.sleep``). A fake pair that advances the clock when asked to sleep makes a
five-minute deadline take no wall time at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
