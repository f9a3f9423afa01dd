"""Sessions, conversation context and export on api cognigy-ai, against the v2 emulator
in-process: a session's context as variables, inject with the session's user (last writer
wins), a tenant that does not serve the read saying so, and what export leaves out."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from reconciler import errors
from reconciler.backend.cognigy_ai import adapter
from reconciler.backend.httpkit import retrying
from reconciler.core import scoping
from reconciler.ops import contexts, exporting, sessions

from .test_adapter import BOTS, World, run


def test_session_vars_are_the_sessions_context_typed_and_filtered(world: World) -> None:
    world.state.sessions["sess_demo_1"].context.update({"tries": 2, "_internal": {"a": 1}})
    snapshot = run(world, lambda b: sessions.snapshot(b, "sess_demo_1"))
    found = {v.name: (v.value, v.type, v.scope) for v in snapshot.variables}
    assert found == {"language": ("de", "string", "session"),
                     "customer_tier": ("gold", "string", "session"),
                     "tries": (2, "integer", "session")}
    everything = run(world, lambda b: sessions.snapshot(b, "sess_demo_1",
                                                        include_system=True))
    assert {v.name for v in everything.variables} >= {"_internal"}
    narrowed = run(world, lambda b: sessions.snapshot(b, "sess_demo_1", name="cust"))
    assert [v.name for v in narrowed.variables] == ["customer_tier"]
    assert run(world, lambda b: sessions.snapshot(b, "sess_demo_1", scope="bot")
               ).variables == ()


def test_an_unknown_session_is_not_found(world: World) -> None:
    with pytest.raises(errors.NotFoundError, match="does not exist"):
        run(world, lambda b: sessions.snapshot(b, "sess_nobody"))


def _without_session_state(app: Any) -> Any:
    """The emulator as a tenant that does not serve ``GET /sessions/{id}/state``."""
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/state"):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/html")]})
            await send({"type": "http.response.body", "body": b"<h1>Cannot GET</h1>"})
            return
        await app(scope, receive, send)
    return wrapped


def test_a_tenant_without_the_session_read_says_it_is_not_available(world: World) -> None:
    policy = retrying.RetryPolicy(sleep=world.clock.sleep, clock=world.clock,
                                  jitter=lambda: 0.5, wall=world.clock)

    async def work() -> None:
        async with adapter.CognigyAiBackend(
                base_url="http://emulator", api_key="demo-api-key", bots=BOTS, retry=policy,
                transport=httpx.ASGITransport(app=_without_session_state(world.app))) as b:
            await sessions.snapshot(b, "sess_demo_1")

    with pytest.raises(errors.BackendError, match="does not serve a session's context") as got:
        asyncio.run(work())
    assert "not available on this api" in str(got.value)


def test_inject_needs_the_user_merges_natively_and_says_last_writer_wins(
        world: World) -> None:
    with pytest.raises(errors.ConfigError, match="--user-id"):
        run(world, lambda b: contexts.inject(b, "sess_demo_1", {"tier": "silver"}))
    with pytest.raises(errors.ConfigError, match="scope user"):
        run(world, lambda b: contexts.inject(b, "sess_demo_1", {"tier": "x"}, scope="user",
                                             user_id="user-42"))
    result = run(world, lambda b: contexts.inject(
        b, "sess_demo_1", {"tier": "silver", "n": 3}, user_id="user-42"))
    assert result.last_writer_wins
    assert result.to_json()["lastWriterWins"] is True
    session = world.state.sessions["sess_demo_1"]
    assert session.context == {"language": "de", "customer_tier": "gold", "tier": "silver",
                               "n": 3}
    assert [w for w in world.writes()] == [
        ("POST", "/new/v2.0/sessions/sess_demo_1/context/inject")]
    rendered = run(world, lambda b: contexts.render_conversation(
        b, "{{tier}} in {{language}}", "sess_demo_1", bot_id="support"))
    assert rendered.text == "silver in de"
    assert rendered.used["language"].source == "conversation"  # the session's, not the flow's


def test_without_a_user_the_patch_path_refuses_clearly(world: World) -> None:
    with pytest.raises(adapter.NotAvailableError, match="--user-id"):
        run(world, lambda b: b.patch_conversation_context("sess_demo_1", {}, if_match=None))


def test_fillers_export_cannot_say_faithfully_are_refused_with_a_reason(world: World) -> None:
    flow = "65f0c0ffee0000000000c001"

    async def work(b: adapter.CognigyAiBackend) -> dict[str, str]:
        for filler in ({"name": "shouty", "type": "regex", "regex": "/abc/gm"},
                       {"name": "amount", "type": "money"},
                       {"name": "airline", "type": "slot", "slot": "airline"},
                       {"name": "plain", "type": "regex", "regex": "/x+y/g"}):
            await b.http.request("POST", f"/flows/{flow}/slotfillers", json=filler)
        return await exporting.refusals(b, "support")

    refused = run(world, work)
    assert sorted(refused) == ["Slot/support/airline", "Slot/support/amount",
                               "Slot/support/shouty"]
    assert "flag(s) m" in refused["Slot/support/shouty"]
    assert "'money'" in refused["Slot/support/amount"]
    assert "no lexicon entries" in refused["Slot/support/airline"]  # a filler alone says nothing


def test_a_sessions_context_is_session_scope_and_wins_over_the_flow_defaults(
        world: World) -> None:
    found = run(world, lambda b: contexts.gather_candidates(b, "sess_demo_1",
                                                            bot_id="support"))
    resolved = scoping.resolve(found)
    assert (resolved["language"].value, resolved["language"].scope) == ("de", "session")
    assert [s.value for s in resolved["language"].shadowed] == ["en"]
