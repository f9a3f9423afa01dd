"""Read live state through a ``Backend``: list endpoints only, bots fetched concurrently.

Per bot: one ``list_integrations`` and one ``list_slots`` (the backend pages them, 100 per
request) and one ``get_context``; never a per-object GET. At most ``concurrency`` bots are
read at once so a large tenant does not flood the rate limiter. Errors are the backend's
own (``reconciler.errors.BackendError``); nothing here knows HTTP. One is reworded: a 404 on a
bot's reads means the bot does not exist, and the usual cause is a logical bot name that no
``cogctl.yaml`` maps to a botId, so the error says which project file was used (given
``project``) and how to map the name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livestate
from reconciler.manifests import validating

DEFAULT_CONCURRENCY = 8


async def fetch_live_state(
    backend: base.Backend,
    bot_ids: Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    project: validating.Project | None = None,
) -> livestate.LiveState:
    """Snapshot every named bot (duplicates read once); see the module docstring."""
    unique = sorted(set(bot_ids))
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(bot_id: str) -> livestate.BotState:
        async with gate:
            try:
                return await fetch_bot_state(backend, bot_id)
            except errors.NotFoundError as exc:
                raise missing_bot(bot_id, exc, project) from exc

    bots = await asyncio.gather(*(one(bot_id) for bot_id in unique))
    return livestate.LiveState(bots={bot.bot_id: bot for bot in bots})


async def fetch_bot_state(backend: base.Backend, bot_id: str) -> livestate.BotState:
    """One bot: its three reads run concurrently."""
    integrations, slots, context = await asyncio.gather(
        backend.list_integrations(bot_id),
        backend.list_slots(bot_id),
        backend.get_context(bot_id),
    )
    return livestate.BotState(
        bot_id=bot_id,
        integrations=tuple(integrations),
        slots=tuple(slots),
        context=context,
    )


def missing_bot(
    bot_id: str, exc: errors.NotFoundError, project: validating.Project | None
) -> errors.NotFoundError:
    """The 404 of a bot's reads, said as what it means and how to fix it."""
    answer = f"{exc.method} {exc.path} -> {exc.status}".strip()
    return errors.NotFoundError(
        f"{answer}: bot {bot_id!r} does not exist on the target",
        method=exc.method, path=exc.path, status=exc.status, code=exc.code,
        hint=_mapping_hint(bot_id, project),
    )


def _mapping_hint(bot_id: str, project: validating.Project | None) -> str:
    fix = (f"map it to its botId (`bots: {{{bot_id}: BOT_ID}}` in the environment), or give "
           "--config PATH/cogctl.yaml")
    if project is None:
        return f"if {bot_id!r} is a logical bot name, no cogctl.yaml mapped it: {fix}"
    mapped = [bot for bot in project.bots() if project.bot_id(bot) == bot_id != bot]
    where = f"environment {project.environment!r} of {project.config_path}"
    if mapped:
        return f"{where} maps {mapped[0]!r} to {bot_id!r}: check that botId"
    if project.config_path is None:
        return (f"{bot_id!r} is used as a botId because no cogctl.yaml was found for these "
                f"manifests: give --config PATH/cogctl.yaml, or add one that maps it "
                f"(`bots: {{{bot_id}: BOT_ID}}`)")
    return f"{bot_id!r} is used as a botId because {where} does not map it: {fix}"
