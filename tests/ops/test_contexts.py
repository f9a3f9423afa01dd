"""Context injection (If-Match, 409 races) and rendering against the emulator."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest
from fakes import DelegatingBackend

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt
from reconciler.ops import contexts

from .conftest import Tenant


def requests_log(tenant: Tenant) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=tenant.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as http:
            answer = await http.get("/_emulator/requests")
            answer.raise_for_status()
            data = answer.json()
            return list(data["requests"] if isinstance(data, dict) else data)
    return asyncio.run(go())


def inject(tenant: Tenant, values: dict[str, lt.Json], **kw: Any) -> contexts.InjectResult:
    async def go() -> contexts.InjectResult:
        async with tenant.connected() as backend:
            return await contexts.inject(backend, "conv_1", values, sleep=tenant.clock.sleep, **kw)
    return asyncio.run(go())


def test_inject_patches_with_if_match_and_names_the_new_version(tenant: Tenant) -> None:
    before = tenant.state.conversations["conv_1"].contextVersion
    result = inject(tenant, {"order": {"id": 7}, "vip": True}, scope="user")
    conv = tenant.state.conversations["conv_1"]
    assert result.previous_version == before
    assert result.version == conv.contextVersion != before
    assert result.attempts == 1
    assert conv.context["order"] == {"value": {"id": 7}, "scope": "user"}
    assert conv.context["customer"] == "Ann"  # untouched keys stay
    patches = [r for r in requests_log(tenant) if r["method"] == "PATCH"]
    assert [(p["path"], p["status"]) for p in patches] == [("/api/v1/context", 200)]


class _RacingBackend(DelegatingBackend):
    """After each of the first ``races`` reads, another writer changes the conversation."""

    def __init__(self, inner: base.Backend, rival: base.Backend, races: int) -> None:
        super().__init__(inner)
        self.rival, self.races = rival, races
        self.reads = 0

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        live = await self.inner.get_conversation_context(conversation_id)
        self.reads += 1
        if self.reads <= self.races:
            rival_view = await self.rival.get_conversation_context(conversation_id)
            await self.rival.patch_conversation_context(
                conversation_id, {f"rival_{self.reads}": self.reads},
                if_match=rival_view["contextVersion"])
        return live


@pytest.mark.parametrize("races", [1, 3])
def test_a_409_is_reread_merged_and_retried(tenant: Tenant, races: int) -> None:
    async def go() -> contexts.InjectResult:
        async with tenant.connected() as mine, tenant.connected() as rival:
            racing = _RacingBackend(mine, rival, races)
            return await contexts.inject(racing, "conv_1", {"mine": 1},
                                         sleep=tenant.clock.sleep, rng=random.Random(1))

    result = asyncio.run(go())
    assert result.attempts == races + 1
    context = tenant.state.conversations["conv_1"].context
    assert context["mine"] == {"value": 1, "scope": "conversation"}
    assert all(context[f"rival_{i}"] == i for i in range(1, races + 1))  # theirs kept too
    statuses = [r["status"] for r in requests_log(tenant) if r["method"] == "PATCH"]
    assert statuses.count(409) == races
    assert len(tenant.clock.sleeps) >= races  # jittered waits between attempts


def test_retries_are_bounded(tenant: Tenant) -> None:
    async def go() -> None:
        async with tenant.connected() as mine, tenant.connected() as rival:
            racing = _RacingBackend(mine, rival, races=100)
            await contexts.inject(racing, "conv_1", {"mine": 1}, attempts=3,
                                  sleep=tenant.clock.sleep)

    with pytest.raises(errors.ConflictError, match="changed under every one of 3 attempts"):
        asyncio.run(go())
    assert "mine" not in tenant.state.conversations["conv_1"].context


class _ReadTogether(DelegatingBackend):
    """Holds every writer's first read until all have read: a true race on one version."""

    def __init__(self, inner: base.Backend, writers: int) -> None:
        super().__init__(inner)
        self.writers = writers
        self.first_reads = 0
        self.all_read = asyncio.Event()

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        live = await self.inner.get_conversation_context(conversation_id)
        if not self.all_read.is_set():
            self.first_reads += 1
            if self.first_reads == self.writers:
                self.all_read.set()
            await self.all_read.wait()
        return live


def test_concurrent_injections_all_land(tenant: Tenant) -> None:
    async def go() -> list[contexts.InjectResult]:
        async with tenant.connected() as backend:
            shared = _ReadTogether(backend, writers=5)
            return await asyncio.gather(*(
                contexts.inject(shared, "conv_1", {f"k{i}": i}, attempts=10,
                                sleep=tenant.clock.sleep, rng=random.Random(i))
                for i in range(5)
            ))

    results = asyncio.run(go())
    context = tenant.state.conversations["conv_1"].context
    assert all(context[f"k{i}"] == {"value": i, "scope": "conversation"} for i in range(5))
    # All five read the same version: one wins, the others get 409, re-read and retry.
    assert sorted(r.attempts for r in results)[0] == 1
    assert sum(r.attempts for r in results) >= 5 + 4
    assert len({r.version for r in results}) == 5
    statuses = [r["status"] for r in requests_log(tenant) if r["method"] == "PATCH"]
    assert statuses.count(200) == 5
    assert statuses.count(409) == sum(r.attempts for r in results) - 5


def test_limits_are_checked_before_anything_is_sent(tenant: Tenant) -> None:
    with pytest.raises(errors.ConfigError, match="bytes as JSON; the limit is 10240"):
        inject(tenant, {"big": "x" * 11_000})
    tenant.state.conversations["conv_1"].context.update(
        {f"fill{i}": "y" * 9000 for i in range(58)})
    with pytest.raises(errors.ConfigError, match="the context would be"):
        inject(tenant, {"more": "z" * 9000})
    assert not [r for r in requests_log(tenant) if r["method"] == "PATCH"]


def test_unknown_conversation(tenant: Tenant) -> None:
    async def go() -> None:
        async with tenant.connected() as backend:
            await contexts.inject(backend, "conv_nope", {"a": 1})
    with pytest.raises(errors.NotFoundError):
        asyncio.run(go())


def render(tenant: Tenant, template: str, **kw: Any) -> contexts.Rendered:
    async def go() -> contexts.Rendered:
        async with tenant.connected() as backend:
            return await contexts.render_conversation(backend, template, "conv_1", **kw)
    return asyncio.run(go())


def test_render_by_scope_precedence_across_sources(tenant: Tenant) -> None:
    template = "{{greeting}} {{customer}}, {{company}} ({{support_hours}}) {{language}} {{nope}}"
    rendered = render(tenant, template, bot_id="bot_ops", session_id="sess_1")
    # greeting: bot default (global) loses to the conversation's own (conversation scope).
    assert rendered.text == "Hi Ann, Example Corp (9-17) fr {{nope}}"
    assert rendered.unknown == ("nope",)
    assert rendered.used["greeting"].scope == "conversation"
    assert rendered.used["language"].scope == "session"


def test_render_without_bot_or_session_uses_the_conversation_only(tenant: Tenant) -> None:
    rendered = render(tenant, "{{greeting}} {{company}}")
    assert rendered.text == "Hi {{company}}"
    assert rendered.unknown == ("company",)


def test_an_injected_narrower_value_wins_in_render(tenant: Tenant) -> None:
    inject(tenant, {"company": "Acme"}, scope="user")
    assert render(tenant, "{{company}}", bot_id="bot_ops").text == "Acme"
    inject(tenant, {"company": "Globex"}, scope="global")
    # Same scope in both sources: the conversation (later source) wins over bot defaults.
    assert render(tenant, "{{company}}", bot_id="bot_ops").text == "Globex"
