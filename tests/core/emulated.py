"""The emulator in-process behind the real client, for fetching and convergence tests.

``Tenant`` seeds a fixture from Python data, serves it through ``httpx.ASGITransport`` and
hands out a ``PlatformBackend``; ``requests()`` reads the emulator's request log, which is
how the tests count calls and prove that a plan wrote nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import harness

from reconciler.backend import base
from reconciler.backend.client import PlatformBackend
from reconciler.core import plans
from reconciler.core import writetypes as wt
from reconciler.emulator.platform import TenantState, fixtures

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
    """A tenant seeded from Python data."""

    def __init__(self, bots: list[dict[str, Any]]) -> None:
        super().__init__(TenantState.from_fixture_model(fixture(bots), source="test fixture"))

    def backend(self, client_id: str = "ci", client_secret: str = "ci-secret",
                scopes: Sequence[str] = SCOPES, **kw: Any) -> PlatformBackend:
        return super().backend(client_id, client_secret, scopes, **kw)


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
