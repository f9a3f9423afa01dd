"""The integration probe against a local HTTPS service with a self-signed certificate."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.backend.httpkit import retrying
from reconciler.manifests import models
from reconciler.ops import netguard, probing

from . import tls_service
from .conftest import FakeClock


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tls_service.Service]:
    with tls_service.serving(tmp_path_factory.mktemp("tls")) as svc:
        yield svc


@pytest.fixture(autouse=True)
def _clean(service: tls_service.Service) -> None:
    service.seen.clear()
    service.flaky_left = 0


def integration(url: str, **spec: Any) -> models.Integration:
    return models.Integration.model_validate({
        "apiVersion": "cogctl/v1", "kind": "Integration",
        "metadata": {"name": "crm_lookup", "bot": "support"},
        "spec": {"url": url, **spec},
    })


def probe(svc: tls_service.Service, manifest: models.Integration, **kw: Any) -> probing.ProbeResult:
    clock = FakeClock()
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock, jitter=lambda: 0.0)
    options: dict[str, Any] = {"env": {"CRM_TOKEN": "tok-123"}, "allow_private": True,
                               "ca_bundle": svc.cert, "policy": policy, **kw}
    return asyncio.run(probing.probe(manifest, **options))


CRM = {
    "method": "GET",
    "auth": {"type": "bearer", "secret": {"fromEnv": "CRM_TOKEN"}},
    "headers": {"Accept": "application/json"},
    "requestMapping": {"query": {"email": "{{slots.email}}"}},
    "responseMapping": {"extract": "data[0].{name: name, tier: tier, open: open_tickets}",
                        "normalize": "flatten"},
    "timeoutSeconds": 5,
    "probe": {"payload": {"email": "ann@example.com"},
              "expect": {"status": 200, "keys": ["name", "tier"]}},
}


def test_a_get_probe_sends_what_the_manifest_configures(service: tls_service.Service) -> None:
    result = probe(service, integration(f"{service.url}/v1/customers", **CRM))
    assert result.ok, result.checks
    assert result.status == 200
    assert result.attempts == 1
    assert result.result == {"name": "Ann Lee", "tier": "gold", "open": 2}
    assert result.connected_to == "127.0.0.1"  # the checked address, not a second lookup
    assert result.seconds > 0
    (seen,) = service.seen
    assert seen["query"] == {"email": "ann@example.com"}
    assert seen["headers"]["authorization"] == "Bearer tok-123"
    assert seen["headers"]["accept"] == "application/json"
    assert seen["headers"]["host"] == service.url.removeprefix("https://")


def test_a_post_probe_with_body_mapping_and_api_key(service: tls_service.Service) -> None:
    manifest = integration(
        f"{service.url}/v1/quotes", method="POST",
        auth={"type": "api_key", "headerName": "X-Api-Key", "secret": {"fromEnv": "CRM_TOKEN"}},
        requestMapping={"body": {"carrier": "dhl", "quantity": "{{slots.quantity}}"},
                        "note": "order {{slots.quantity}}"},
        responseMapping={"extract": "quotes[0]", "normalize": "map_keys"},
        probe={"payload": {"quantity": 3}, "expect": {"status": 201, "keys": ["carrier_name"]}},
    )
    result = probe(service, manifest)
    assert result.ok, result.checks
    (seen,) = service.seen
    assert seen["body"] == {"carrier": "dhl", "quantity": 3, "note": "order 3"}
    assert seen["headers"]["x-api-key"] == "tok-123"
    assert seen["headers"]["content-type"] == "application/json"
    assert result.result == {"carrier_name": "dhl", "price": 4.5,
                             "echo_body": {"carrier": "dhl", "quantity": 3, "note": "order 3"}}


def test_basic_auth_and_a_payload_given_on_the_command_line(service: tls_service.Service) -> None:
    manifest = integration(f"{service.url}/v1/customers", **{
        **CRM, "auth": {"type": "basic", "secret": {"fromEnv": "CRM_TOKEN"}}})
    result = probe(service, manifest, env={"CRM_TOKEN": "user:pa:ss"},
                   payload={"email": "bob@example.org"})
    assert result.ok
    (seen,) = service.seen
    assert seen["headers"]["authorization"] == "Basic " + base64.b64encode(b"user:pa:ss").decode()
    assert seen["query"] == {"email": "bob@example.org"}


def test_transient_answers_are_retried_by_the_shared_policy(service: tls_service.Service) -> None:
    service.flaky_left = 2
    result = probe(service, integration(f"{service.url}/flaky", timeoutSeconds=5))
    assert result.status == 200
    assert result.attempts == 3
    assert len(service.seen) == 3


def test_a_transient_status_that_outlasts_the_retries_is_reported(
        service: tls_service.Service) -> None:
    service.flaky_left = 10
    result = probe(service, integration(f"{service.url}/flaky", timeoutSeconds=5))
    assert (result.status, result.attempts, result.ok) == (503, 5, False)  # the policy's cap


def test_a_post_without_idempotency_is_not_repeated_on_5xx(service: tls_service.Service) -> None:
    service.flaky_left = 1
    result = probe(service, integration(f"{service.url}/flaky", method="POST"))
    assert (result.status, result.attempts) == (503, 1)
    assert len(service.seen) == 1


def test_redirects_are_never_followed(service: tls_service.Service) -> None:
    result = probe(service, integration(f"{service.url}/moved"))
    assert result.status == 302
    assert not result.ok
    assert [s["path"] for s in service.seen] == ["/moved"]


@pytest.mark.parametrize(
    ("spec", "check", "detail"),
    [
        ({"probe": {"expect": {"status": 200, "keys": ["x"]}}}, "keys",
         "missing: x (the answer is not JSON)"),
        ({"probe": {"expect": {"status": 201}}}, "status", "expected 201, got 200"),
        ({"requestMapping": {"q": "{{slots.nothing}}"}}, "mapping",
         "the sample payload has nothing for {{slots.nothing}}"),
    ],
)
def test_failed_checks_say_why(service: tls_service.Service, spec: dict[str, Any], check: str,
                               detail: str) -> None:
    result = probe(service, integration(f"{service.url}/text", **spec))
    failed = {c.name: c.detail for c in result.checks if not c.ok}
    assert failed == {check: detail}


def test_private_targets_are_refused_without_allow_private(service: tls_service.Service) -> None:
    with pytest.raises(netguard.UnsafeTargetError, match="loopback address"):
        probe(service, integration(f"{service.url}/v1/customers", **CRM), allow_private=False)
    assert service.seen == []


def test_tls_is_verified_without_the_ca_bundle(service: tls_service.Service) -> None:
    with pytest.raises(errors.BackendError, match=r"TLS failed: .*certificate") as caught:
        probe(service, integration(f"{service.url}/v1/customers", **CRM), ca_bundle=None)
    assert "--ca-bundle" in str(caught.value)
    assert service.seen == []


def test_the_certificate_must_name_the_host(service: tls_service.Service) -> None:
    # The cert names localhost and 127.0.0.1; another name resolving to the same address is
    # refused by TLS even though --allow-private lets the address through.
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    url = service.url.replace("localhost", "crm.other-name.test")
    with pytest.raises(errors.BackendError, match=r"TLS failed: .*mismatch"):
        probe(service, integration(f"{url}/v1/customers", **CRM), resolver=resolver)


def test_another_spelling_of_an_address_is_refused_before_connecting(
        service: tls_service.Service) -> None:
    # 0x7f000001 is 127.0.0.1 to the C resolver: one spelling per address, so it is refused.
    url = service.url.replace("localhost", "0x7f000001")
    with pytest.raises(errors.CogctlError, match="not a dotted-decimal IPv4 address"):
        probe(service, integration(f"{url}/v1/customers", **CRM))


def test_a_missing_secret_is_a_clear_error(service: tls_service.Service) -> None:
    with pytest.raises(errors.ConfigError, match=r"\$CRM_TOKEN, which is not set"):
        probe(service, integration(f"{service.url}/v1/customers", **CRM), env={})


def test_an_unreadable_ca_bundle_is_a_clear_error(service: tls_service.Service,
                                                  tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(errors.ConfigError, match="--ca-bundle"):
        probe(service, integration(f"{service.url}/v1/customers", **CRM), ca_bundle=bad)


def test_an_address_that_refuses_the_connection_is_skipped(service: tls_service.Service) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.3", "127.0.0.1"]  # nothing listens on the first

    result = probe(service, integration(f"{service.url}/v1/customers", **CRM), resolver=resolver)
    assert result.ok
    assert result.connected_to == "127.0.0.1"
    assert len(service.seen) == 1
