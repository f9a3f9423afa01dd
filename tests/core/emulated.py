"""The emulator in-process behind the real client: the live tenant of every core test.

``Tenant`` seeds a fixture from Python data, serves it through ``httpx.ASGITransport`` and
hands out a ``PlatformBackend``; ``requests()`` reads the emulator's request log, which is
how the tests count calls and prove that a plan wrote nothing.

The planning tables drive it synchronously: ``snapshot()`` is the ``LiveState`` the engine's
fetch reads through the real client, ``apply()`` sends a plan's write bodies as they are, and
the edits made "outside cogctl" go through the same API. So the core is tested against what
the contract stores and answers, not against a model of it written for the tests.
"""

from __future__ import annotations

import asyncio
import copy
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast

import harness

from reconciler.backend import base
from reconciler.backend.client import PlatformBackend
from reconciler.core import livestate, plans
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.emulator.platform import TenantState, fixtures
from reconciler.engine import fetching

T = TypeVar("T")
SCOPES = (
    "cognigy:platform:read", "cognigy:integrations:write", "cognigy:slots:write", "context:write",
)


def fixture(bots: list[dict[str, Any]]) -> fixtures.Fixture:
    return fixtures.parse(
        {
            "settings": {"rateLimitPerMinute": 1_000_000, "trainingSeconds": 0.1},
            "workspaces": [{
                "id": "ws_1",
                "clients": [{"clientId": "ci", "clientSecret": "ci-secret", "scopes": list(SCOPES)}],
                "bots": bots,
            }],
        },
        source="test fixture",
    )


class Tenant(harness.EmulatedTenant):
    """A tenant seeded from Python data; ``bot_ids`` are the bots it was seeded with."""

    def __init__(self, bots: list[dict[str, Any]]) -> None:
        super().__init__(TenantState.from_fixture_model(fixture(bots), source="test fixture"))
        self.bot_ids = tuple(bot["botId"] for bot in bots)

    @classmethod
    def of(cls, *bot_ids: str) -> Tenant:
        """Bots with these ids and nothing in them yet."""
        return cls([{"botId": bot_id} for bot_id in bot_ids])

    def backend(self, client_id: str = "ci", client_secret: str = "ci-secret",
                scopes: Sequence[str] = SCOPES, **kw: Any) -> PlatformBackend:
        return super().backend(client_id, client_secret, scopes, **kw)

    async def fetch(self, bot_ids: Iterable[str] | None = None) -> livestate.LiveState:
        """The live snapshot the engine reads: the engine's fetch through the real client."""
        backend = self.backend()
        try:
            return await fetching.fetch_live_state(
                backend, self.bot_ids if bot_ids is None else bot_ids)
        finally:
            await backend.aclose()

    # -- synchronous, for the planning tables ----------------------------------------------

    def _run(self, work: Callable[[PlatformBackend], Awaitable[T]]) -> T:
        async def run() -> T:
            backend = self.backend()
            try:
                return await work(backend)
            finally:
                await backend.aclose()

        return asyncio.run(run())

    def snapshot(self) -> livestate.LiveState:
        """Every seeded bot, as ``fetch`` reads it."""
        return asyncio.run(self.fetch())

    def apply(self, plan: plans.Plan, env: Mapping[str, str] | None = None) -> None:
        """The plan's pending write bodies, sent as they are (``execute``)."""
        self._run(lambda backend: execute(backend, plan, env or {}))

    def context(self, bot_id: str) -> lt.LiveContext:
        return self._run(lambda backend: backend.get_context(bot_id))

    # -- edits made outside cogctl, through the same API ------------------------------------

    def edit_slot(self, bot_id: str, name: str, **fields: Any) -> None:
        """Replace fields of the slot ``name`` as another API client would (a PUT)."""
        async def edit(backend: PlatformBackend) -> None:
            stored = next(s for s in await backend.list_slots(bot_id) if s["name"] == name)
            body = {key: cast(dict[str, Any], stored)[key] for key in _SLOT_WRITE_KEYS}
            body.update(fields, triggerRetrain=False)
            await backend.put_slot(stored["slotId"], cast(lt.SlotWrite, body),
                                   if_match=stored["version"])

        self._run(edit)

    def add_slot(self, bot_id: str, name: str, *, labels: Mapping[str, str] | None = None,
                 patterns: tuple[str, ...] = ("x",), dependencies: tuple[str, ...] = ()) -> str:
        """A slot created by hand (id ``slot_manual_<name>``); answers its id."""
        slot_id = f"slot_manual_{name}"
        body: lt.SlotWrite = {
            "botId": bot_id, "name": name, "type": "regex", "patterns": list(patterns),
            "fillStrategy": "bestMatch", "dependencies": list(dependencies),
            "triggerRetrain": False, "labels": dict(labels or {}),
        }
        self._run(lambda backend: backend.put_slot(slot_id, body, create_only=True))
        return slot_id

    def patch_context(self, bot_id: str, changes: Mapping[str, Any]) -> lt.LiveContext:
        """A merge patch of the bot's context defaults; ``{}`` only moves its version on."""
        async def patch(backend: PlatformBackend) -> lt.LiveContext:
            current = await backend.get_context(bot_id)
            return await backend.patch_context(bot_id, changes,
                                               if_match=current["contextVersion"])

        return self._run(patch)

    def edit_integration(self, bot_id: str, name: str,
                         change: Callable[[dict[str, Any]], object]) -> None:
        """PUT the integration ``name`` back with ``change`` applied to its write body (a
        body may set ``config.auth_secret`` to rotate the secret)."""
        async def edit(backend: PlatformBackend) -> None:
            stored = next(i for i in await backend.list_integrations(bot_id)
                          if i["name"] == name)
            body: dict[str, Any] = {key: copy.deepcopy(cast(dict[str, Any], stored)[key])
                                    for key in _INTEGRATION_WRITE_KEYS}
            change(body)
            await backend.put_integration(stored["id"], cast(lt.IntegrationWrite, body),
                                          if_match=stored["version"])

        self._run(edit)

    def delete_integration(self, bot_id: str, name: str) -> None:
        async def delete(backend: PlatformBackend) -> None:
            stored = next(i for i in await backend.list_integrations(bot_id)
                          if i["name"] == name)
            await backend.delete_integration(stored["id"], if_match=stored["version"])

        self._run(delete)


_INTEGRATION_WRITE_KEYS = ("bot_id", "name", "description", "status", "labels", "config")
_SLOT_WRITE_KEYS = ("botId", "name", "type", "patterns", "fillStrategy", "dependencies", "labels")


def api_requests(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log without the token requests."""
    return [e for e in log if not e["path"].startswith("/api/v1/auth/")]


def minimum_reads(objects_per_bot: Mapping[str, tuple[int, int]]) -> int:
    """One list per 100 objects per kind (at least one), plus one context read, per bot."""
    return sum(
        max(1, math.ceil(i / 100)) + max(1, math.ceil(s / 100)) + 1
        for i, s in objects_per_bot.values()
    )


async def execute(backend: base.Backend, plan: plans.Plan, env: Mapping[str, str]) -> None:
    """Send each pending change's write body exactly as the plan carries it."""
    for change in plan.pending():
        body = change.write
        if change.kind == "Integration":
            assert body is None or isinstance(body, wt.IntegrationBody)
            await _integration(backend, change, body, env)
        elif change.kind == "Slot":
            assert body is None or isinstance(body, wt.SlotBody)
            await _slot(backend, change, body)
        else:
            assert isinstance(body, wt.ContextPatch | wt.ContextRemoval)
            await backend.patch_context(change.bot_id, body.wire(),
                                        if_match=cast(str, change.live_version))


async def _integration(backend: base.Backend, change: plans.Change,
                       body: wt.IntegrationBody | None, env: Mapping[str, str]) -> None:
    if body is None:
        await backend.delete_integration(cast(str, change.live_id), if_match=change.live_version)
        return
    sent = body.wire(env[change.secret_env] if change.secret_env else None)
    if change.action is plans.Action.CREATE:
        await backend.create_integration(sent, idempotency_key=change.idempotency_key)
    else:
        await backend.put_integration(cast(str, change.live_id), sent,
                                      if_match=change.live_version)


async def _slot(backend: base.Backend, change: plans.Change, body: wt.SlotBody | None) -> None:
    slot_id = cast(str, change.live_id)
    if body is None:
        await backend.delete_slot(slot_id, if_match=change.live_version)
    else:
        await backend.put_slot(slot_id, body.wire(), if_match=change.live_version,
                               create_only=change.action is plans.Action.CREATE)
