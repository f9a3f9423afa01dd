"""A snapshot of live Cognigy objects, per bot: what ``fetching`` read and ``planning`` diffs.

Pure data. Invariant: every bot the snapshot was asked about has a ``BotState`` (possibly
empty), keyed by botId; objects are the wire shapes of ``livetypes`` exactly as the API
answered them (normalizing happens later, in ``normalizing``). Treat them as read-only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from reconciler.core import livetypes as lt


@dataclasses.dataclass(frozen=True)
class BotState:
    """One bot's integrations, slots and context defaults (None when not read)."""

    bot_id: str
    integrations: tuple[lt.LiveIntegration, ...] = ()
    slots: tuple[lt.LiveSlot, ...] = ()
    context: lt.LiveContext | None = None

    def integration_named(self, name: str) -> lt.LiveIntegration | None:
        return next((i for i in self.integrations if i["name"] == name), None)

    def slot_named(self, name: str) -> lt.LiveSlot | None:
        return next((s for s in self.slots if s["name"] == name), None)


@dataclasses.dataclass(frozen=True)
class LiveState:
    """Live objects of several bots, keyed by botId."""

    bots: Mapping[str, BotState] = dataclasses.field(default_factory=dict)

    def bot(self, bot_id: str) -> BotState:
        """The bot's state; an empty one for a bot the snapshot holds nothing of."""
        return self.bots.get(bot_id) or BotState(bot_id=bot_id)

    def object_count(self) -> int:
        return sum(len(b.integrations) + len(b.slots) for b in self.bots.values())
