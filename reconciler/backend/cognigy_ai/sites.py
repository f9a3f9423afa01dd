"""What the integration and keyphrase-slot writers need of a resolved bot, and nothing more.

``CognigyAiBackend`` resolves a logical bot once (project, entry flow, locale) and keeps each
project's cogctl state; it hands the writers a ``Site``: the ids, the project's state records
(``objects``), how to change them and have the change saved (``commit``: the adapter's
group commit, one save for the changes of concurrent writers), and how to create an object
under the adopt-after-lost-POST rule. The writers never see the
adapter itself, so they stay small and testable on their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

Finder = Callable[[], Awaitable[dict[str, Any] | None]]
Creator = Callable[[str, dict[str, Any], Finder], Awaitable[dict[str, Any]]]


@dataclasses.dataclass(frozen=True)
class Site:
    """One logical bot where it lives; ``records`` is the project's live state mapping."""

    logical: str
    project_id: str
    flow_id: str
    locale_id: str
    flows: list[dict[str, Any]]
    integrations_flow: str
    records: dict[str, Any]
    commit: Callable[[Callable[[], bool]], Awaitable[None]]  # a change, made and saved
    create: Creator

    async def record(self, key: str, value: dict[str, Any] | None) -> None:
        """Set (or with None drop) the state record at ``key``; saved when it changed."""
        def change() -> bool:
            if value is None:
                return self.records.pop(key, None) is not None
            if self.records.get(key) == value:
                return False
            self.records[key] = value
            return True

        await self.commit(change)
