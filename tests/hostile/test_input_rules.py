"""Hostile manifests and environments: rules that hold for every source of a value.

Each table covers a class, not one probe: secret references naming the reconciler's or the
CI's own credentials, literal credentials beside placeholders, one URL rule for the file and
the environment, and context defaults whose applied entry pushes them over the platform's limit.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from reconciler import errors
from reconciler.backend import client, targeting
from reconciler.core import livetypes as lt
from reconciler.core import normalizing, plans, retrainmarker, writebodies, writetypes
from reconciler.engine import applying
from reconciler.manifests import models, rules, validating

INTEGRATION: dict[str, Any] = {
    "apiVersion": "cogctl/v1", "kind": "Integration",
    "metadata": {"name": "crm", "bot": "support"},
    "spec": {"url": "https://crm.example.com/v1"},
}


def _integration(**spec: Any) -> dict[str, Any]:
    return {**INTEGRATION, "spec": {**INTEGRATION["spec"], **spec}}


def _bearer(name: str) -> dict[str, Any]:
    return _integration(auth={"type": "bearer", "secret": {"fromEnv": name}})


# --- secret references (issue class: manifests take the reconciler's own credentials) -----

RESERVED = [
    "COGNIGY_CLIENT_SECRET", "COGNIGY_CLIENT_ID", "cognigy_client_secret", "COGNIGY_API_KEY",
    "COGCTL_WEBHOOK_SECRET", "GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN", "RUNNER_TEMP", "INPUT_TOKEN", "CI_JOB_TOKEN", "GH_TOKEN",
    "AWS_SECRET_ACCESS_KEY", "Github_Token",
]


@pytest.mark.parametrize("name", RESERVED)
def test_a_secret_may_not_come_from_a_reserved_variable(name: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="may not come from"):
        models.Integration.model_validate(_bearer(name))


@pytest.mark.parametrize("name", ["CRM_API_TOKEN", "SUPPORT_CRM_KEY", "COGNIGYX", "MY_GITHUB_KEY"])
def test_ordinary_variables_are_fine(name: str) -> None:
    assert models.Integration.model_validate(_bearer(name)).spec.auth.secret is not None


def _project(tmp_path: Path, config: str, secret_env: str) -> validating.Project:
    (tmp_path / "cogctl.yaml").write_text(config)
    (tmp_path / "crm.yaml").write_text(
        "apiVersion: cogctl/v1\nkind: Integration\nmetadata: {name: crm, bot: support}\n"
        "spec:\n  url: https://crm.example.com/v1\n  auth:\n    type: bearer\n"
        f"    secret: {{fromEnv: {secret_env}}}\n"
    )
    return validating.load_project([tmp_path], environ={})


POLICY = ("environments: {local: {}}\n"
          "secrets: {allow: [CRM_API_TOKEN], allowPrefixes: [BOT_]}\n")


@pytest.mark.parametrize(("name", "ok"), [
    ("CRM_API_TOKEN", True), ("BOT_SUPPORT_KEY", True), ("OTHER_TOKEN", False),
    ("CRM_API_TOKEN2", False),
])
def test_the_project_file_restricts_secret_references(tmp_path: Path, name: str, ok: bool) -> None:
    project = _project(tmp_path, POLICY, name)
    assert project.ok is ok
    if not ok:
        [found] = project.diagnostics
        assert (found.line, found.column) == (8, 23)  # the fromEnv value itself
        assert "not allowed by cogctl.yaml secrets (allowed: CRM_API_TOKEN, BOT_*)" in found.message


def test_an_empty_allow_list_allows_no_secret(tmp_path: Path) -> None:
    project = _project(tmp_path, "environments: {local: {}}\nsecrets: {allow: []}\n", "CRM_KEY")
    assert not project.ok


@pytest.mark.parametrize("policy", [
    "{allow: [COGNIGY_CLIENT_SECRET]}", "{allowPrefixes: [GITHUB_]}", "{allowPrefixes: [COG]}",
    "{allowPrefixes: [G]}", "{allowPrefixes: [COGNIGY_CLIENT]}",
])
def test_the_project_file_cannot_allow_a_reserved_variable(policy: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="may not be allowed"):
        models.ProjectConfig.model_validate(
            {"environments": {"local": {}}, "secrets": yaml.safe_load(policy)})


def test_apply_refuses_a_reserved_variable_even_in_a_plan_built_by_hand() -> None:
    change = plans.Change(
        address="Integration/support/crm", kind="Integration", bot="support",
        bot_id="support", name="crm", action=plans.Action.CREATE, reason="new", drift=False,
        before=None, after={}, secret_env="COGNIGY_CLIENT_SECRET",
        write=writetypes.IntegrationBody({"bot_id": "support", "name": "crm", "description": "",
                                          "status": "ACTIVE", "labels": {}, "config": {}}))
    plan = plans.Plan(target="t", fingerprint="sha256:x", changes=(change,))
    with pytest.raises(errors.ConfigError, match="COGNIGY_CLIENT_SECRET"):
        applying.resolve_secrets(plan, {"COGNIGY_CLIENT_SECRET": "the-reconciler-s-own"})


# --- literal credentials beside placeholders ---------------------------------------------

@pytest.mark.parametrize("value", [
    "sk_live_abcdef{{}}", "sk_live_abcdef{{ }}", "{{slots.x}}sk_live_abcdef", "abc123{{x}}",
    "Bearer sk_live_abcdef {{token}}", "{{a}}:{{b}} hunter2",
])
def test_literal_text_beside_placeholders_is_still_a_literal(value: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="literal credential"):
        models.Integration.model_validate(_integration(headers={"X-API-Key": value}))
    with pytest.raises(pydantic.ValidationError, match="literal credential"):
        models.Integration.model_validate(_integration(requestMapping={"api_key": value}))
    with pytest.raises(pydantic.ValidationError, match="literal credential"):
        models.Integration.model_validate(
            _integration(url=f"https://crm.example.com/v1?api_key={value}"))


@pytest.mark.parametrize("value", [
    "{{slots.token}}", "Bearer {{slots.token}}", "{{ payload.key }}", "Token {{a}}",
    "{{a}}:{{b}}",
])
def test_placeholders_alone_are_dynamic(value: str) -> None:
    models.Integration.model_validate(_integration(headers={"X-API-Key": value}))
    models.Integration.model_validate(_integration(requestMapping={"api_key": value}))


def test_validation_and_filling_share_one_placeholder_definition() -> None:
    from reconciler.ops import mappings

    assert mappings.fill("x-{{ a }}-{{}}", {"a": "1"}) == "x-1-{{}}"
    assert rules.literal_part("x-{{ a }}-{{}}") == "x--{{}}"


# --- one URL rule for every source ----------------------------------------------------------

BAD_URLS = [
    "http://2130706433:8765", "http://0177.0.0.1:8765", "http://127.1:8765",
    "http://0x7f000001/", "http://[::ffff:127.0.0.1]/", "http://evil.example.com",
    "http://127.0.0.1.nip.io/", "ftp://127.0.0.1/", "https://user:pw@tenant.example.com",
]
GOOD_URLS = ["https://tenant.example.com", "http://127.0.0.1:8765", "http://localhost:1",
             "http://[::1]:9"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_url_is_refused_from_the_file_and_the_environment_alike(url: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        models.Environment.model_validate({"tenantUrl": url})
    with pytest.raises(pydantic.ValidationError):
        models.Environment.model_validate({"tenantUrl": "https://t.example.com", "tokenUrl": url})
    for variable in (targeting.ENV_TENANT_URL, targeting.ENV_TOKEN_URL):
        with pytest.raises(errors.ConfigError, match=variable) as refused:
            targeting.env_url({variable: url}, variable)
        assert url not in str(refused.value)  # a malformed URL may hold a credential
    with pytest.raises(errors.ConfigError, match="tenant URL"):
        client.PlatformBackend(base_url=url, client_id="c", client_secret="s", scopes=())
    with pytest.raises(errors.ConfigError, match="token URL"):
        client.PlatformBackend(base_url="https://t.example.com", token_url=url,
                               client_id="c", client_secret="s", scopes=())


@pytest.mark.parametrize("url", GOOD_URLS)
def test_good_urls_pass_everywhere(url: str) -> None:
    models.Environment.model_validate({"tenantUrl": url, "tokenUrl": url})
    assert targeting.env_url({targeting.ENV_TENANT_URL: url}, targeting.ENV_TENANT_URL) == url


def test_connect_refuses_a_plain_http_tenant_from_the_environment_before_any_request() -> None:
    env = {targeting.ENV_TENANT_URL: "http://2130706433:1", "COGNIGY_CLIENT_ID": "c",
           "COGNIGY_CLIENT_SECRET": "s"}

    async def run() -> None:
        async with targeting.connect(config=None, config_path=None, environment=None,
                                     scopes=targeting.SCOPES_READ, env=env):
            raise AssertionError("connected")

    with pytest.raises(errors.ConfigError, match="COGNIGY_TENANT_URL: must be https://"):
        asyncio.run(run())


def test_a_plain_http_token_url_from_the_environment_is_refused_too() -> None:
    env = {targeting.ENV_TENANT_URL: "https://t.example.com",
           targeting.ENV_TOKEN_URL: "http://2130706433:1/token",
           "COGNIGY_CLIENT_ID": "c", "COGNIGY_CLIENT_SECRET": "s"}

    async def run() -> None:
        async with targeting.connect(config=None, config_path=None, environment=None,
                                     scopes=targeting.SCOPES_READ, env=env):
            raise AssertionError("connected")

    with pytest.raises(errors.ConfigError, match="COGNIGY_TOKEN_URL"):
        asyncio.run(run())


# --- context defaults: validate counts what apply stores -----------------------------------

def _context(variables: dict[str, Any], name: str = "defaults") -> dict[str, Any]:
    return {"apiVersion": "cogctl/v1", "kind": "ContextDefaults",
            "metadata": {"name": name, "bot": "support"}, "spec": {"variables": variables}}


def _filling(total: int) -> dict[str, Any]:
    """Variables whose JSON is close to ``total`` bytes, in 9 KB values and short keys."""
    value = "v" * 9000
    return {f"k{i:04d}": {"value": value} for i in range(total // 9030)}


def test_the_applied_entry_that_apply_writes_is_what_validate_counts() -> None:
    manifest = models.ContextDefaults.model_validate(_context({"a": {"value": 1}}))
    body = writebodies.context_patch(manifest, applied_hash="f" * 64, remove=[])
    stored: dict[str, Any] = {**body.wire(),
              retrainmarker.MARKER_KEY: retrainmarker.entry_for(
                  retrainmarker.Marker(job_id="j" * models.MAX_JOB_ID_LENGTH))}
    whole: dict[str, Any] = {"a": {"value": 1, "scope": "global"}}
    assert rules.json_size(stored) == rules.json_size(models.stored_context("defaults", whole))
    assert normalizing.CONTEXT_APPLIED_KEY == models.CONTEXT_APPLIED_KEY


def test_context_defaults_that_fit_alone_but_not_with_the_applied_entry_are_refused() -> None:
    variables = _filling(models.MAX_CONTEXT_BYTES - 9_000)
    last = sorted(variables)[-1]

    def whole() -> dict[str, Any]:
        return {k: {"value": v["value"], "scope": "global"} for k, v in variables.items()}

    # grow the last value until the variables alone are 50 bytes short of the limit
    room = models.MAX_CONTEXT_BYTES - 50 - rules.json_size(whole())
    variables["k9999"] = {"value": "w" * room}
    variables["k9999"] = {"value": "w" * (room - (rules.json_size(whole())
                                                 - (models.MAX_CONTEXT_BYTES - 50)))}
    assert rules.json_size(whole()) == models.MAX_CONTEXT_BYTES - 50
    assert last in variables
    with pytest.raises(pydantic.ValidationError, match="cogctl's applied hash"):
        models.ContextDefaults.model_validate(_context(variables))


def test_context_defaults_with_room_for_the_applied_entry_pass() -> None:
    models.ContextDefaults.model_validate(_context(_filling(models.MAX_CONTEXT_BYTES - 20_000)))


# --- the embedded emulator's state file keeps only the hash of integration secrets ---------

def test_the_state_file_keeps_only_the_hash_of_an_integration_secret(tmp_path: Path) -> None:
    from reconciler.backend import embedded
    from reconciler.emulator.platform import TenantState, records

    fixture = Path(__file__).parent.parent / "e2e" / "fixtures" / "tenant.yaml"
    secret = "canary-integration-secret-0b7e"
    state_path = tmp_path / "local-tenant.json"
    body: lt.IntegrationWrite = {
            "bot_id": "bot_support", "name": "crm", "description": "", "status": "ACTIVE",
            "labels": {}, "config": {"url": "https://crm.example.com", "method": "GET",
                                     "auth_type": "bearer", "auth_secret": secret}}

    async def run() -> str:
        async with embedded.open_embedded(
            fixture=fixture, state_path=state_path,
            scopes=["cognigy:platform:read", "cognigy:integrations:write"], env={},
        ) as (backend, _description):
            created = await backend.create_integration(body, idempotency_key="k1")
            return str(created["id"])

    ident = asyncio.run(run())
    saved = state_path.read_text()
    assert secret not in saved
    expected = records.secret_fingerprint(ident, secret)
    assert expected is not None
    assert expected in saved
    reloaded = TenantState.load(state_path)
    assert reloaded.integrations[ident].secret_sha256 == expected
    # a state saved by an earlier version, secret in clear, is read as its hash
    old = saved.replace(f'"secret_sha256":"{expected}"', f'"secret":"{secret}"')
    assert secret in old
    state_path.write_text(old)
    assert TenantState.load(state_path).integrations[ident].secret_sha256 == expected
    assert TenantState.from_fixture(fixture).model_dump_json().count(secret) == 0


@pytest.mark.parametrize(("bot", "name"), [("github", "crm"), ("ci", "crm"), ("cognigy", "x"),
                                           ("runner", "x"), ("support", "crm")])
def test_export_never_names_a_reserved_variable(bot: str, name: str) -> None:
    from reconciler.ops import exporting

    env = exporting.secret_env_name(bot, name)
    assert rules.reserved_secret_env(env) is None
    models.Integration.model_validate(_bearer(env))
