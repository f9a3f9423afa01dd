"""cogctl's state on a Cognigy.AI project: the context of the flow ``cogctl-state``, split over
more flows (``cogctl-state-2``, ``cogctl-state-3``...) when it grows past one request.

``shared/cognigy-ai-v2.md`` (Decisions; 2.5): a REST body is at most 60 kB and a context at
most 65 kB, so the state is cut into shards of at most ``SHARD_BYTES`` of JSON, whole records
each (a record is never split). The head flow ``cogctl-state`` holds the first shard and, when
there are more, ``"shards": [names]``; each other shard is ``{"format", "shard": n,
"objects", "contexts"}``. A state that fits one shard is written exactly as before sharding
existed, so either reader reads the other's state.

No ETag, so no lock: right before each write every flow of the state is read again and the
whole compared with what this run last read or wrote. A difference means another writer
(another cogctl run) got there first: a ``StateConflictError``, and nothing is overwritten.
Extra shards are written before the head that names them, and flows of shards no longer
needed are deleted after it, so a reader never meets a head naming a shard not yet written.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.backend.cognigy_ai import http, mapping

SHARD_BYTES = 48 * 1024  # under the 60 kB request limit with room for the PATCH envelope
SHARD_PREFIX = f"{mapping.STATE_FLOW}-"
PARTS = ("objects", "contexts")
DESCRIPTION = "cogctl's record of the objects it manages (do not edit)"

Create = Callable[[str, dict[str, Any], Callable[[], Awaitable[dict[str, Any] | None]]],
                  Awaitable[dict[str, Any]]]


class StateConflictError(errors.ConflictError):
    """cogctl's state changed under this run: another writer got there first."""


def is_state_flow(name: object) -> bool:
    text = str(name)
    return text == mapping.STATE_FLOW or (text.startswith(SHARD_PREFIX)
                                          and text[len(SHARD_PREFIX):].isdigit())


def _size(value: Any) -> int:
    return len(json.dumps(value).encode())


def split(state: dict[str, Any], limit: int = SHARD_BYTES) -> list[dict[str, Any]]:
    """The state as shard contexts, head first; whole records, each shard within ``limit``."""
    shards: list[dict[str, Any]] = []
    current = mapping.empty_state()
    used = _size(current)
    for part in PARTS:
        for key in sorted(state.get(part) or {}):
            record = state[part][key]
            cost = _size({key: record}) + 2
            if any(current[p] for p in PARTS) and used + cost > limit:
                shards.append(current)
                current, used = mapping.empty_state(), _size(mapping.empty_state())
            current[part][key] = copy.deepcopy(record)
            used += cost
    shards.append(current)
    for number, shard in enumerate(shards[1:], start=2):
        shard["shard"] = number
    if len(shards) > 1:
        shards[0]["shards"] = [f"{SHARD_PREFIX}{n}" for n in range(2, len(shards) + 1)]
    return shards


def merge(head: dict[str, Any], others: Sequence[dict[str, Any]]) -> dict[str, Any]:
    state = mapping.empty_state()
    for shard in (head, *others):
        for part in PARTS:
            state[part].update(copy.deepcopy(shard.get(part) or {}))
    return state


@dataclass
class Stored:
    """Where a project's state lives and what this run last read or wrote of it."""

    project_id: str
    flow_ids: dict[str, str] = field(default_factory=dict)  # flow name -> _id
    seen: dict[str, Any] = field(default_factory=mapping.empty_state)


class StateStore:
    def __init__(self, requester: http.Requester, create: Create) -> None:
        self.http = requester
        self._create = create

    async def load(self, project_id: str, flows: Sequence[dict[str, Any]]) -> tuple[
            Stored, dict[str, Any]]:
        """The project's state (empty when there is none) and where it lives."""
        stored = Stored(project_id, {str(f.get("name")): str(f.get("_id")) for f in flows
                                     if is_state_flow(f.get("name"))})
        state = await self._read(stored)
        stored.seen = copy.deepcopy(state)
        return stored, state

    async def _context(self, flow_id: str) -> Any:
        return (await self.http.get(f"/flows/{flow_id}")).get("context")

    async def _read(self, stored: Stored) -> dict[str, Any]:
        head_id = stored.flow_ids.get(mapping.STATE_FLOW)
        if head_id is None:
            return mapping.empty_state()
        try:
            head = mapping.read_state(await self._context(head_id))
        except errors.NotFoundError:  # deleted since: compares as a change of the state
            stored.flow_ids.pop(mapping.STATE_FLOW, None)
            return mapping.empty_state()
        names = head["shards"] if isinstance(head.get("shards"), list) else []
        others = []
        for name in names:
            flow_id = stored.flow_ids.get(str(name)) or await self._find(stored, str(name))
            if flow_id is None:
                raise StateConflictError(
                    f"cogctl's state names the flow {name!r}, which does not exist",
                    hint="another cogctl run may be writing it: run the command again")
            others.append(mapping.read_state(await self._context(flow_id)))
        return merge(head, others)

    async def _find(self, stored: Stored, name: str) -> str | None:
        flows = await self.http.collect("/flows", {"projectId": stored.project_id,
                                                   "filter": name})
        found = next((str(f["_id"]) for f in flows if f.get("name") == name), None)
        if found is not None:
            stored.flow_ids[name] = found
        return found

    async def save(self, stored: Stored, state: dict[str, Any]) -> None:
        """Write ``state`` unless another writer changed it since ``stored.seen``."""
        if mapping.STATE_FLOW not in stored.flow_ids:
            await self._find(stored, mapping.STATE_FLOW)
        current = await self._read(stored)
        if current != stored.seen:
            raise StateConflictError(
                f"cogctl's state in flow {mapping.STATE_FLOW!r} of project "
                f"{stored.project_id} changed while this run was writing: another writer got "
                "there first, and nothing of theirs was overwritten",
                hint="run plan again when the other run is done (one apply per project at "
                     "a time)")
        shards = split(state)
        old = [n for n in stored.flow_ids if n != mapping.STATE_FLOW]
        for number, shard in enumerate(shards[1:], start=2):
            await self._write(stored, f"{SHARD_PREFIX}{number}", shard)
        await self._write(stored, mapping.STATE_FLOW, shards[0])
        stored.seen = copy.deepcopy(state)
        wanted = set(shards[0].get("shards") or ())
        for name in old:
            if name not in wanted:
                with contextlib.suppress(errors.NotFoundError):
                    await self.http.request("DELETE", f"/flows/{stored.flow_ids[name]}")
                stored.flow_ids.pop(name, None)

    async def _write(self, stored: Stored, name: str, context: dict[str, Any]) -> None:
        flow_id = stored.flow_ids.get(name)
        if flow_id is not None:
            await self.http.request("PATCH", f"/flows/{flow_id}", json={"context": context})
            return
        body = {"projectId": stored.project_id, "name": name, "description": DESCRIPTION,
                "context": context}

        async def _found() -> dict[str, Any] | None:
            found = await self._find(stored, name)
            return {"_id": found} if found else None

        flow = await self._create("/flows", body, _found)
        stored.flow_ids[name] = str(flow["_id"])
        if flow.get("context") != context:  # adopted after a lost answer: write it now
            await self.http.request("PATCH", f"/flows/{stored.flow_ids[name]}",
                                    json={"context": context})
