"""The SSRF guard: every resolved address is judged; private targets need --allow-private."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from reconciler import errors
from reconciler.ops import netguard


def _check(host: str, *, allow_private: bool = False,
           resolver: netguard.Resolver = netguard.system_resolve) -> list[netguard.IPAddress]:
    return asyncio.run(netguard.checked_addresses(host, 443, allow_private=allow_private,
                                                  resolver=resolver))


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fc00::1", "private"),
        ("0x7f000001", "loopback"),
        ("2130706433", "loopback"),
        ("127.1", "loopback"),
        ("localhost", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.1.2.3", "private"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not a globally routable"),
        ("100.100.100.200", "cloud metadata"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_private_targets_are_refused(host: str, reason: str) -> None:
    with pytest.raises(netguard.UnsafeTargetError, match=reason) as caught:
        _check(host)
    assert "--allow-private" in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.1", "0x7f000001"])
def test_allow_private_lets_them_through(host: str) -> None:
    assert _check(host, allow_private=True)


@pytest.mark.parametrize("host", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(host: str) -> None:
    assert _check(host) == [ipaddress.ip_address(host)]


def test_every_resolved_address_is_checked_not_just_the_first() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(netguard.UnsafeTargetError, match=r"10\.0\.0\.7, a private address"):
        _check("api.example.com", resolver=resolver)


def test_a_host_with_no_address_is_refused() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return []

    with pytest.raises(errors.CogctlError, match="resolves to no address"):
        _check("api.example.com", resolver=resolver)


@pytest.mark.parametrize("host", ["0177.0.0.1", "0x7f.0.0.1", "0x7f.1", "127.1", "2130706433",
                                  "10.0.0.01", "1.2.3.4."])
def test_numeric_hosts_in_any_but_dotted_decimal_are_refused(host: str) -> None:
    with pytest.raises(netguard.UnsafeTargetError, match="not a dotted-decimal IPv4"):
        netguard.check_host(host)


@pytest.mark.parametrize("host", ["203.0.113.7", "api.example.com", "1e2.example", "::1",
                                  "09.example.com", "123abc.com"])
def test_dotted_decimal_and_names_pass_the_spelling_check(host: str) -> None:
    netguard.check_host(host)
