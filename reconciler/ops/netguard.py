"""The SSRF guard: where an outbound probe may connect.

A URL is refused when *any* address its host resolves to is loopback, private, link-local,
a cloud metadata endpoint, unspecified, multicast, reserved or otherwise not globally
routable (e.g. 100.64.0.0/10), unless the caller allows private targets. IPv4-mapped IPv6
addresses (``::ffff:127.0.0.1``) are judged as the IPv4 address they carry. Host spellings
such as ``0x7f000001``, ``2130706433`` or ``127.1`` are resolved by the system resolver like
any name, so they are judged by the address they really reach.

The caller connects to an address returned here (see ``probing``), never resolves the name
again, so a DNS answer cannot change between the check and the connection (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable

from reconciler import errors

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)


class UnsafeTargetError(errors.CogctlError):
    """A probe URL whose host reaches an address outbound probes must not reach."""


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` is off limits for an outbound probe, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refusal(address.ipv4_mapped)
    checks: tuple[tuple[bool, str], ...] = (
        (address in METADATA_ADDRESSES, "a cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_private, "a private address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a globally routable address"),
    )
    return next((reason for hit, reason in checks if hit), None)


_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]*))*\.?",
                           re.IGNORECASE)


def check_host(host: str) -> None:
    """Refuse a host that spells an IPv4 address in any but the dotted-decimal form.

    ``0177.0.0.1`` (octal), ``0x7f.1`` (hex), ``127.1`` (short) and ``2130706433`` (one
    number) all reach 127.0.0.1 through the C resolver, yet read as a name to a person and
    as invalid to other parsers: one spelling per address, so every layer judges the same one.
    """
    if not _NUMERIC_HOST.fullmatch(host):
        return
    try:
        canonical = str(ipaddress.IPv4Address(host.rstrip(".")))
    except ValueError:
        canonical = None
    if canonical != host:
        raise UnsafeTargetError(
            f"refusing host {host!r}: a number that is not a dotted-decimal IPv4 address "
            "(octal, hex or shortened forms reach an address other than they seem)",
            hint="write the address as four decimal numbers, e.g. 203.0.113.7, or use a name",
        )


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise errors.CogctlError(
            f"cannot resolve host {host!r}: {exc.strerror}", hint="check the integration URL"
        ) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(
    host: str, port: int, *, allow_private: bool = False, resolver: Resolver = system_resolve
) -> list[IPAddress]:
    """The addresses of ``host``, every one of them judged; raises on the first refused one."""
    resolved = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await resolver(host, port)]
    if not resolved:
        raise errors.CogctlError(f"host {host!r} resolves to no address")
    if not allow_private:
        for address in resolved:
            reason = refusal(address)
            if reason is not None:
                raise UnsafeTargetError(
                    f"refusing to connect to {host!r}: it resolves to {address}, {reason}",
                    hint="pass --allow-private to probe a service on a private network",
                )
    return resolved
