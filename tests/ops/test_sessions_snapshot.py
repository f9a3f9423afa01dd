"""Session snapshots against the emulator: filters, all pages, scope resolution, types."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reconciler import errors
from reconciler.ops import sessions

from .conftest import Tenant


def snap(tenant: Tenant, session_id: str = "sess_1", **kw: Any) -> sessions.Snapshot:
    async def go() -> sessions.Snapshot:
        async with tenant.connected() as backend:
            return await sessions.snapshot(backend, session_id, **kw)
    return asyncio.run(go())


def test_variables_are_typed_and_resolved_by_the_narrowest_scope(tenant: Tenant) -> None:
    by_name = {v.name: v for v in snap(tenant).variables}
    assert set(by_name) == {"language", "retries", "vip", "zip", "profile", "ratio",
                            "channel_hint"}
    language = by_name["language"]
    assert (language.value, language.scope, language.type) == ("fr", "session", "string")
    assert [(s.scope, s.value) for s in language.shadowed] == [("user", "de"), ("global", "en")]
    assert (by_name["retries"].value, by_name["retries"].type) == (3, "integer")
    assert (by_name["vip"].value, by_name["vip"].type) == (True, "boolean")
    assert (by_name["zip"].value, by_name["zip"].type) == ("007", "string")
    assert by_name["profile"].value == {"tier": "gold", "since": 2020}
    assert by_name["ratio"].value == 0.25
    hint = by_name["channel_hint"]
    assert (hint.value, hint.scope, [s.scope for s in hint.shadowed]) == ("web", "bot", ["global"])
    assert not any(v.system for v in by_name.values())


def test_system_variables_only_when_asked_and_marked(tenant: Tenant) -> None:
    by_name = {v.name: v for v in snap(tenant, include_system=True).variables}
    assert by_name["_channel"].system
    assert by_name["_trace"].value == "abc123"
    assert not by_name["language"].system


@pytest.mark.parametrize(
    ("kw", "names"),
    [
        ({"name": "lang"}, {"language"}),
        ({"scope": "user"}, {"language", "vip", "profile"}),
        ({"name": "channel", "scope": "global"}, {"channel_hint"}),
        ({"name": "_", "include_system": True}, {"_channel", "_trace"}),
    ],
)
def test_filters_go_to_the_query(tenant: Tenant, kw: dict[str, Any], names: set[str]) -> None:
    assert {v.name for v in snap(tenant, **kw).variables} == names


def test_every_page_is_read(tenant: Tenant) -> None:
    session = tenant.state.sessions["sess_1"]
    template = session.variables[0]
    session.variables = [template.model_copy(update={"name": f"v{i:03d}", "value": i})
                         for i in range(230)]
    variables = snap(tenant).variables
    assert len(variables) == 230
    assert variables[-1].value == 229


def test_an_unknown_session_is_a_clear_error(tenant: Tenant) -> None:
    with pytest.raises(errors.NotFoundError):
        snap(tenant, "sess_nope")


def test_an_unknown_scope_is_refused_before_any_request(tenant: Tenant) -> None:
    with pytest.raises(errors.ConfigError, match="use one of global, bot, user, session"):
        snap(tenant, scope="conversation")
