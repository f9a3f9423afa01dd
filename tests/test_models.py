"""Manifest models built in code: defaults, immutability, and the single-document rules."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from reconciler.manifests import models, rules


def _integration(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cogctl/v1", "kind": "Integration",
        "metadata": {"name": "crm_lookup", "bot": "support"},
        "spec": {"url": "https://crm.example.com/api", **spec},
    }


def _errors(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(pydantic.ValidationError) as raised:
        models.validate_document(data)
    return [
        (tuple(e["loc"]) + tuple(e.get("ctx", {}).get("at", ())), e["msg"])
        for e in raised.value.errors()
    ]


def test_defaults_and_address() -> None:
    slot = models.Slot.model_validate({
        "apiVersion": "cogctl/v1", "kind": "Slot",
        "metadata": {"name": "sku", "bot": "orders"}, "spec": {"patterns": ["SKU-[0-9]+"]},
    })
    assert slot.address == "Slot/orders/sku"
    assert (slot.spec.type, slot.spec.fillStrategy, slot.spec.dependencies) == (
        "regex", "bestMatch", [])
    assert (slot.spec.verify.minExtractionRate, slot.spec.verify.maxRegression) == (0.85, 0.05)
    assert slot.metadata.labels == {}


def test_models_are_frozen() -> None:
    integration = models.validate_document(_integration())
    with pytest.raises(pydantic.ValidationError):
        integration.metadata.name = "other"  # type: ignore[misc]


def test_kinds_cover_the_discriminated_union() -> None:
    adapter = pydantic.TypeAdapter(models.Manifest)
    parsed = adapter.validate_python(_integration())
    assert isinstance(parsed, models.Integration)
    assert set(models.KIND_BY_NAME) == {"Integration", "Slot", "ContextDefaults",
                                         "SimulationSuite"}


def test_strict_validation_refuses_strings_for_numbers() -> None:
    assert _errors(_integration(timeoutSeconds="30"))[0][0] == ("spec", "timeoutSeconds")
    lax = models.validate_document(_integration(timeoutSeconds="30"), strict=False)
    assert isinstance(lax, models.Integration)
    assert lax.spec.timeoutSeconds == 30


@pytest.mark.parametrize(
    ("spec", "loc", "message"),
    [
        ({"method": "GET", "requestMapping": {"body": {}}},
         ("spec", "requestMapping", "body"), "a GET request has no body"),
        ({"auth": {"type": "none", "secret": {"fromEnv": "X"}}},
         ("spec", "auth", "secret"), "auth type none takes no secret"),
        ({"auth": {"type": "none", "headerName": "X-Key"}},
         ("spec", "auth", "headerName"), "takes no headerName"),
        ({"auth": {"type": "basic"}}, ("spec", "auth", "type"), "needs secret"),
        ({"auth": {"type": "bearer", "secret": "abc"}}, ("spec", "auth", "secret"),
         "a literal secret is refused"),
        ({"auth": {"type": "api_key", "headerName": "X-Key", "secret": {"fromEnv": "K"}},
          "headers": {"x-key": "{{slots.key}}"}},
         ("spec", "headers", "x-key"), "is set by auth (headerName)"),
        ({"headers": {"Cookie": "session=1"}}, ("spec", "headers", "Cookie"),
         "literal credential"),
        ({"method": "POST", "requestMapping": {"body": {"items": [{"apiKey": "k-1"}]}}},
         ("spec", "requestMapping", "body", "items", 0, "apiKey"), "literal credential"),
        ({"responseMapping": {"extract": ""}}, ("spec", "responseMapping", "extract"),
         "it is empty"),
        ({"responseMapping": {"extract": "a.b)"}}, ("spec", "responseMapping", "extract"),
         "Unexpected token: ) at position 3"),
    ],
)
def test_integration_rules(spec: dict[str, Any], loc: tuple[Any, ...], message: str) -> None:
    [(got_loc, got_message)] = _errors(_integration(**spec))
    assert got_loc == loc
    assert message in got_message


@pytest.mark.parametrize(
    "spec",
    [
        {"headers": {"Authorization": "{{context.token}}"}},  # a template, filled at run time
        {"headers": {"X-Request-Id": "abc"}},
        {"auth": {"type": "api_key", "headerName": "X-API-Key",
                  "secret": {"fromEnv": "CRM_KEY"}}},
        {"method": "POST", "requestMapping": {"body": {"token": "{{slots.token}}"}}},
        {"url": "https://crm.example.com/api?page=1&email={{slots.email}}"},
    ],
)
def test_integration_accepts(spec: dict[str, Any]) -> None:
    assert isinstance(models.validate_document(_integration(**spec)), models.Integration)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://crm.example.com/x", None),
        ("https://crm.example.com:8443/x?q=1", None),
        ("http://crm.example.com", "absolute https://"),
        ("crm.example.com/x", "absolute https://"),
        ("https://", "with a host"),
        ("https://u:p@crm.example.com", "must not carry credentials"),
        ("https://crm.example.com/x?access_token=abc", "query parameter 'access_token'"),
        ("https://crm.example.com:99999/", "not a valid URL"),
    ],
)
def test_check_url(url: str, message: str | None) -> None:
    if message is None:
        assert rules.check_url(url) == url
    else:
        with pytest.raises(ValueError, match=message.replace("?", r"\?")):
            rules.check_url(url)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://t.example.cognigy.com", True),
        ("http://127.0.0.1:8765", True),
        ("http://localhost:8765", True),
        ("http://[::1]:8765", True),
        ("http://t.example.cognigy.com", False),
    ],
)
def test_check_tenant_url(url: str, ok: bool) -> None:
    if ok:
        assert rules.check_tenant_url(url) == url
    else:
        with pytest.raises(ValueError, match="must be https://"):
            rules.check_tenant_url(url)


def test_token_url_may_be_a_path() -> None:
    assert rules.check_token_url("/api/v1/auth/oauth/token") == "/api/v1/auth/oauth/token"


@pytest.mark.parametrize(
    ("value", "size"),
    [("é", 4), ({"a": [1, 2]}, 11), (None, 4), ("x" * 10, 12)],
)
def test_json_size_is_compact_utf8(value: object, size: int) -> None:
    assert rules.json_size(value) == size


def test_context_value_limit_is_exact() -> None:
    at_limit = "x" * (models.MAX_CONTEXT_VALUE_BYTES - 2)  # the quotes count
    models.ContextVariable(value=at_limit)
    with pytest.raises(pydantic.ValidationError, match="10241 bytes as JSON"):
        models.ContextVariable(value=at_limit + "x")


@pytest.mark.parametrize(
    ("config", "loc", "message"),
    [
        ({"environments": {}}, ("environments",), "at least 1 item"),
        ({"environments": {"a": {}}, "defaultEnvironment": "b"},
         ("defaultEnvironment",), "unknown environment 'b' (defined: a)"),
        ({"environments": {"a": {"vars": {"1x": "y"}}}},
         ("environments", "a", "vars", "1x", "[key]"), "should match pattern"),
        ({"environments": {"a": {"tokenUrl": "ftp://x"}}},
         ("environments", "a", "tokenUrl"), "absolute https://"),
        ({"environments": {"a": {"rateLimitPerMinute": 0}}},
         ("environments", "a", "rateLimitPerMinute"), "greater than or equal to 1"),
    ],
)
def test_project_config_rules(config: dict[str, Any], loc: tuple[Any, ...], message: str) -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        models.ProjectConfig.model_validate(config)
    [error] = raised.value.errors()
    assert tuple(error["loc"]) + tuple(error.get("ctx", {}).get("at", ())) == loc
    assert message in error["msg"]
