"""Fixtures (errors name the file and field), save/load, the state file, latency."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.emulator.platform import TenantState, create_app

from .conftest import TENANT, Api, FakeClock, integration_body, slot_body

GOOD = TENANT.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("workspaces: [", "not valid YAML"),
        ("- 1", "a mapping"),
        ("settings: {}\n", "workspaces"),
        ("workspaces: [{id: w, bots: [{botId: b, flows: [{flowId: f, deployed: maybe}]}]}]",
         "workspaces[0].bots[0].flows[0].deployed"),
        ("workspaces: [{id: w, bots: [{botId: b, intents: [{name: i, flowId: nope}]}]}]",
         "workspaces[0].bots[0].intents[0].flowId"),
        ("workspaces: [{id: w, bots: [{botId: b}, {botId: b}]}]", "bot b is already defined"),
        ("workspaces: [{id: w, bots: [{botId: b, colour: red}]}]", "colour"),
        ("settings: {rateLimitPerMinute: 0}\nworkspaces: [{id: w}]", "rateLimitPerMinute"),
        ("workspaces: [{id: w, bots: [{botId: b, slots: [{name: s, patterns: ['(']}]}]}]",
         "does not compile"),
        ("workspaces: [{id: w, bots: [{botId: b, integrations: [{name: crm, config: "
         "{url: 'http://x'}}]}]}]", "https"),
    ],
)
def test_bad_fixtures_name_file_and_field(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(errors.ConfigError) as caught:
        TenantState.from_fixture(path)
    assert str(path) in str(caught.value)
    assert needle in str(caught.value)


def test_yaml_errors_carry_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workspaces:\n  - id: w\n    bots: [\n", encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=r"bad\.yaml:4:"):
        TenantState.from_fixture(path)


def test_missing_fixture(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="cannot read"):
        TenantState.from_fixture(tmp_path / "none.yaml")


def test_demo_fixture_loads() -> None:
    demo = Path(__file__).parents[2] / "manifests" / "fixtures" / "demo-tenant.yaml"
    state = TenantState.from_fixture(demo)
    assert state.bots
    assert state.clients


def test_save_and_load_round_trip(state: TenantState, clock: FakeClock, tmp_path: Path) -> None:
    admin = Api(create_app(state, clock=clock)).as_client()
    admin.post("/api/v1/integrations", json=integration_body())
    path = tmp_path / "deep" / "tenant.json"
    state.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["tenant.json"]
    assert path.stat().st_mode & 0o777 == 0o600  # it holds client secrets
    loaded = TenantState.load(path)
    assert loaded.model_dump() == state.model_dump()
    loaded.reset()
    assert len(loaded.integrations) == 1


def test_load_refuses_damaged_state(tmp_path: Path) -> None:
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps({"fixture": 1}), encoding="utf-8")
    with pytest.raises(errors.ConfigError, match="not a saved emulator state"):
        TenantState.load(path)


def test_state_file_is_written_after_each_write(
    state: TenantState, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "tenant.json"
    api = Api(create_app(state, clock=clock, state_path=path))
    admin = api.as_client()
    assert path.exists()  # the token request is a write
    admin.put("/api/v1/slots/s1", json=slot_body())
    assert "s1" in TenantState.load(path).slots
    before = path.stat().st_mtime_ns
    admin.get("/api/v1/slots/s1")
    assert path.stat().st_mtime_ns == before


def test_latency_delays_every_answer(state: TenantState, clock: FakeClock) -> None:
    state.settings.latencyMs = 50
    api = Api(create_app(state, clock=clock))
    started = time.monotonic()
    api.as_client().get("/api/v1/bots")
    assert time.monotonic() - started >= 0.1


def test_saved_state_stays_bounded(
    state: TenantState, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.emulator.platform import state as state_module

    monkeypatch.setattr(state_module, "MAX_IDEMPOTENCY_KEYS", 2)
    monkeypatch.setattr(state_module, "MAX_LOG_ENTRIES", 3)
    admin = Api(create_app(state, clock=clock)).as_client()
    for index in range(4):
        admin.post("/api/v1/integrations", json=integration_body(f"crm_{index}"),
                   headers={"Idempotency-Key": f"k{index}"})
    assert [key.rsplit(" ", 1)[1] for key in state.idempotency] == ["k2", "k3"]
    assert len(state.requests) == 3
    assert state.requests[-1].idempotencyKey == "k3"
