"""Read live state through a ``Backend``: list endpoints only, bots fetched concurrently.

Per bot: one ``list_integrations`` and one ``list_slots`` (the backend pages them, 100 per
request) and one ``get_context``; never a per-object GET. At most ``concurrency`` bots are
read at once so a large tenant does not flood the rate limiter. Errors are the backend's
own (``reconciler.errors.BackendError``); nothing here knows HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from reconciler import states
from reconciler.backend import base

DEFAULT_CONCURRENCY = 8


async def fetch_live_state(
    backend: base.Backend, bot_ids: Iterable[str], *, concurrency: int = DEFAULT_CONCURRENCY
) -> states.LiveState:
    """Snapshot every named bot (duplicates read once); see the module docstring."""
    unique = sorted(set(bot_ids))
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(bot_id: str) -> states.BotState:
        async with gate:
            return await fetch_bot_state(backend, bot_id)

    bots = await asyncio.gather(*(one(bot_id) for bot_id in unique))
    return states.LiveState(bots={bot.bot_id: bot for bot in bots})


async def fetch_bot_state(backend: base.Backend, bot_id: str) -> states.BotState:
    """One bot: its three reads run concurrently."""
    integrations, slots, context = await asyncio.gather(
        backend.list_integrations(bot_id),
        backend.list_slots(bot_id),
        backend.get_context(bot_id),
    )
    return states.BotState(
        bot_id=bot_id,
        integrations=tuple(integrations),
        slots=tuple(slots),
        context=context,
    )
