"""Target resolution: environments, env-var overrides, credentials, the embedded emulator."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.backend import targeting
from reconciler.core import livetypes as lt
from reconciler.emulator.platform import TenantState
from reconciler.manifests import models

FIXTURE = Path(__file__).parent / "backend" / "fixtures" / "tenant.yaml"
READ = targeting.SCOPES_READ
SLOT: lt.SlotWrite = {
    "botId": "bot_support", "name": "order_number", "type": "regex", "patterns": ["ORD-\\d+"],
    "fillStrategy": "firstMatch", "dependencies": [], "triggerRetrain": False, "labels": {},
}


def _config(**environments: dict[str, Any]) -> models.ProjectConfig:
    return models.ProjectConfig.model_validate({"environments": environments})


@pytest.fixture
def project(tmp_path: Path) -> tuple[models.ProjectConfig, Path]:
    (tmp_path / "fixtures").mkdir()
    shutil.copy(FIXTURE, tmp_path / "fixtures" / "demo-tenant.yaml")
    config = _config(
        local={"emulator": {"fixture": "fixtures/demo-tenant.yaml"}},
        staging={"tenantUrl": "https://staging.example.cognigy.com",
                 "tokenUrl": "https://auth.example.com/token", "bots": {"support": "bot_8f3a"}},
    )
    return config, tmp_path / "cogctl.yaml"


def _open(config: models.ProjectConfig | None, config_path: Path | None,
          **kw: Any) -> contextlib.AbstractAsyncContextManager[targeting.Target]:
    kw.setdefault("environment", None)
    kw.setdefault("scopes", READ)
    kw.setdefault("env", {})
    return targeting.connect(config=config, config_path=config_path, **kw)


def test_embedded_round_trip_saves_and_reloads_state(project, tmp_path: Path) -> None:
    config, config_path = project
    state_dir = tmp_path / ".cogctl"

    async def first() -> str:
        async with _open(config, config_path, state_dir=state_dir,
                         scopes=READ | {"cognigy:slots:write"}) as target:
            assert target.embedded
            assert target.environment == "local"
            await target.backend.put_slot("slot_order", SLOT)
            return target.description

    description = asyncio.run(first())
    state_file = state_dir / "local-tenant.json"
    assert description == (f"embedded emulator (state {state_file}, "
                           f"fixture {tmp_path / 'fixtures' / 'demo-tenant.yaml'})")
    assert "slot_order" in TenantState.load(state_file).slots

    (tmp_path / "fixtures" / "demo-tenant.yaml").unlink()  # the state alone suffices now

    async def second() -> list[str]:
        async with _open(config, config_path, state_dir=state_dir) as target:
            return [s["slotId"] for s in await target.backend.list_slots("bot_support")]

    assert sorted(asyncio.run(second())) == ["slot_order", "slot_zip"]


def test_state_is_saved_when_the_command_fails(project, tmp_path: Path) -> None:
    config, config_path = project

    async def failing() -> None:
        async with _open(config, config_path, state_dir=tmp_path / "st",
                         scopes=READ | {"cognigy:slots:write"}) as target:
            await target.backend.put_slot("slot_order", SLOT)
            raise errors.ApplyError("stopped part-way")

    with pytest.raises(errors.ApplyError):
        asyncio.run(failing())
    assert "slot_order" in TenantState.load(tmp_path / "st" / "local-tenant.json").slots
    assert not [p for p in (tmp_path / "st").iterdir() if p.suffix == ".tmp"]


@pytest.mark.parametrize(
    ("env", "client_id"),
    [({}, "admin"), ({"COGNIGY_CLIENT_ID": "reader"}, "reader"),
     ({"COGNIGY_CLIENT_ID": "reader", "COGNIGY_CLIENT_SECRET": "reader-secret-canary-91c2"},
      "reader")],
)
def test_embedded_client_defaults_to_the_fixtures_first(tmp_path: Path, env, client_id) -> None:
    async def scenario() -> None:
        async with _open(None, None, emulator_fixture=FIXTURE, state_dir=tmp_path,
                         env=env) as target:
            await target.backend.list_bots()

    asyncio.run(scenario())
    log = TenantState.load(tmp_path / "local-tenant.json").requests
    assert {e.clientId for e in log} == {client_id}


def test_embedded_unknown_client_without_secret(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="COGNIGY_CLIENT_SECRET"):
        asyncio.run(_enter(_open(None, None, emulator_fixture=FIXTURE, state_dir=tmp_path,
                                 env={"COGNIGY_CLIENT_ID": "nobody"})))


def test_emulator_fixture_flag_overrides_the_environment(project, tmp_path: Path) -> None:
    config, config_path = project
    other = tmp_path / "other.yaml"
    other.write_text(FIXTURE.read_text().replace("bot_support", "bot_flag"))

    async def scenario() -> list[str]:
        async with _open(config, config_path, emulator_fixture=other,
                         state_dir=tmp_path / "s") as target:
            assert str(other) in target.description
            return [b["botId"] for b in await target.backend.list_bots()]

    assert asyncio.run(scenario()) == ["bot_flag"]


async def _enter(manager) -> targeting.Target:
    async with manager as target:
        return target


@pytest.mark.parametrize(
    ("env", "description", "token_url"),
    [
        ({"COGNIGY_CLIENT_ID": "c", "COGNIGY_CLIENT_SECRET": "s"},
         "tenant https://staging.example.cognigy.com", "https://auth.example.com/token"),
        ({"COGNIGY_CLIENT_ID": "c", "COGNIGY_CLIENT_SECRET": "s",
          "COGNIGY_TENANT_URL": "https://prod.example.cognigy.com/",
          "COGNIGY_TOKEN_URL": "https://sso.example.com/oauth/token"},
         "tenant https://prod.example.cognigy.com", "https://sso.example.com/oauth/token"),
    ],
)
def test_env_vars_override_the_file(project, env, description, token_url) -> None:
    config, config_path = project
    target = asyncio.run(_enter(_open(config, config_path, environment="staging", env=env)))
    assert not target.embedded
    assert target.description == description
    assert target.backend._requester._credentials.token_url == token_url  # type: ignore[attr-defined]
    assert target.backend.scopes == ("cognigy:platform:read",)  # type: ignore[attr-defined]


def test_env_vars_are_enough_without_a_project_file() -> None:
    env = {"COGNIGY_CLIENT_ID": "c", "COGNIGY_CLIENT_SECRET": "s",
           "COGNIGY_TENANT_URL": "https://t.example.cognigy.com"}
    target = asyncio.run(_enter(_open(None, None, env=env)))
    assert target.description == "tenant https://t.example.cognigy.com"
    assert target.backend._requester._credentials.token_url == (  # type: ignore[attr-defined]
        "https://t.example.cognigy.com/api/v1/auth/oauth/token")


@pytest.mark.parametrize(
    ("env", "missing"),
    [({}, "COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET not set"),
     ({"COGNIGY_CLIENT_ID": "c"}, "COGNIGY_CLIENT_SECRET not set"),
     ({"COGNIGY_CLIENT_SECRET": "s"}, "COGNIGY_CLIENT_ID not set")],
)
def test_missing_credentials_say_what_to_set(project, env, missing) -> None:
    config, config_path = project
    with pytest.raises(errors.ConfigError) as info:
        asyncio.run(_enter(_open(config, config_path, environment="staging", env=env)))
    message = str(info.value)
    assert message.startswith("no credentials for tenant https://staging.example.cognigy.com: ")
    assert missing in message
    assert "export COGNIGY_CLIENT_ID and COGNIGY_CLIENT_SECRET" in message


def test_no_tenant_and_no_fixture(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="--emulator-fixture"):
        asyncio.run(_enter(_open(None, None, state_dir=tmp_path)))


@pytest.mark.parametrize(
    ("environments", "default", "asked", "chosen"),
    [
        ({"a": {}}, None, None, "a"),
        ({"a": {}, "local": {}}, None, None, "local"),
        ({"a": {}, "b": {}}, "b", None, "b"),
        ({"a": {}, "b": {}}, "b", "a", "a"),
        ({"a": {}, "b": {}}, None, None, errors.ConfigError),
        ({"a": {}}, None, "prod", errors.ConfigError),
    ],
)
def test_choose_environment(environments, default, asked, chosen) -> None:
    config = models.ProjectConfig.model_validate(
        {"environments": environments, "defaultEnvironment": default})
    if chosen is errors.ConfigError:
        with pytest.raises(errors.ConfigError, match="--env"):
            targeting.choose_environment(config, asked)
    else:
        assert targeting.choose_environment(config, asked)[0] == chosen


def test_choose_environment_without_a_file_is_a_label() -> None:
    assert targeting.choose_environment(None, "ci") == ("ci", None)


@pytest.mark.parametrize(
    ("kinds", "retrain", "simulate", "expected"),
    [
        ([], False, False, {"cognigy:platform:read"}),
        (["Slot"], True, False, {"cognigy:platform:read", "cognigy:slots:write",
                                 "cognigy:nlp:retrain"}),
        (["Integration", "ContextDefaults", "SimulationSuite"], False, False,
         {"cognigy:platform:read", "cognigy:integrations:write", "context:write"}),
        ([], False, True, {"cognigy:platform:read", "simulation:execute"}),
    ],
)
def test_scopes_for_apply(kinds, retrain, simulate, expected) -> None:
    assert targeting.scopes_for_apply(kinds, retrain=retrain, simulate=simulate) == expected


@pytest.mark.parametrize(
    ("environ", "asked", "chosen"),
    [
        ({"COGCTL_ENV": "b"}, None, "b"),
        ({"COGCTL_ENV": "b"}, "a", "a"),  # --env wins over the variable
        ({}, None, "local"),
    ],
)
def test_every_command_chooses_the_environment_by_one_rule(environ, asked, chosen) -> None:
    from reconciler.manifests import projects

    config = models.ProjectConfig.model_validate(
        {"environments": {"a": {}, "b": {}, "local": {}}})
    assert targeting.choose_environment(config, asked, environ)[0] == chosen
    assert projects.choose_environment(config, asked, environ) == chosen
