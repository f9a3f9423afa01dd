"""``cogctl integration probe``: call an integration's external API exactly as configured.

The probe talks to the integration's own API, not to Cognigy, through the HTTP toolkit
(``backend.httpkit``) under its own error origin, ``PROBE``. What it sends follows the
manifest: method, headers, auth with the secret read from the environment, the request mapping
applied to the sample payload (``mappings``), the integration's timeout, and the one retry
policy (``httpkit.retrying``: 429 and 5xx and transport failures retried with jitter; a POST
only when the connection never opened). Before connecting, ``netguard`` judges every address
the host resolves to; the request then goes to that checked address (``connect_to``: TLS still
verifies the host name), and redirects are never followed: a 3xx is reported as it is. A
certificate that does not verify fails at once, saying why.
"""

from __future__ import annotations

import base64
import logging
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import errors, jsontypes
from reconciler.backend.httpkit import failures, retrying, sending
from reconciler.clock import Clock
from reconciler.core import livetypes as lt
from reconciler.manifests import models
from reconciler.ops import mappings, netguard

LOGGER = logging.getLogger("reconciler.probing")
PROBE = failures.Origin("integration probe", hints={
    "transport": "check the integration URL and that the service is up",
    "tls": "pass --ca-bundle FILE to trust a private CA",
})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, lt.Json]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class ProbeResult:
    """What the probe saw. ``ok`` is true exactly when every check passed."""

    address: str
    method: str
    url: str
    connected_to: str
    status: int
    seconds: float
    attempts: int
    result: lt.Json
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "integration": self.address, "method": self.method, "url": self.url,
            "connectedTo": self.connected_to, "status": self.status,
            "latencyMs": round(self.seconds * 1000, 1), "attempts": self.attempts,
            "ok": self.ok, "checks": [c.to_json() for c in self.checks], "result": self.result,
        }


def read_secret(integration: models.Integration, env: Mapping[str, str]) -> str | None:
    """The integration's secret from the environment; a missing one is a clear error."""
    ref = integration.spec.auth.secret
    if integration.spec.auth.type == "none" or ref is None:
        return None
    value = env.get(ref.fromEnv)
    if not value:
        raise errors.ConfigError(
            f"{integration.address}: the secret is read from ${ref.fromEnv}, which is not set",
            hint=f"export {ref.fromEnv}=... before probing",
        )
    return value


def auth_headers(auth: models.IntegrationAuth, secret: str | None) -> dict[str, str]:
    """The headers that carry the credential, as the platform would send them."""
    if auth.type == "none":
        return {}
    if secret is None:
        raise errors.ConfigError(f"auth type {auth.type} needs a secret (auth.secret.fromEnv)")
    if auth.type == "bearer":
        return {auth.headerName or "Authorization": f"Bearer {secret}"}
    if auth.type == "api_key":
        return {auth.headerName or "X-API-Key": secret}
    if ":" not in secret:
        raise errors.ConfigError("basic auth needs the secret as user:password")
    token = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    return {auth.headerName or "Authorization": f"Basic {token}"}


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """System trust, or exactly the given CA bundle."""
    try:
        return ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (OSError, ssl.SSLError) as exc:
        raise errors.ConfigError(f"--ca-bundle {ca_bundle}: cannot load it ({exc})") from None


async def probe(
    integration: models.Integration,
    *,
    payload: Mapping[str, lt.Json] | None = None,
    env: Mapping[str, str],
    allow_private: bool = False,
    ca_bundle: Path | None = None,
    policy: retrying.RetryPolicy | None = None,
    resolver: netguard.Resolver = netguard.system_resolve,
    clock: Clock = time.perf_counter,
) -> ProbeResult:
    """Send one probe (retried per the policy), map the answer and check the expectations."""
    spec = integration.spec
    sample = dict(payload if payload is not None else (spec.probe.payload if spec.probe else {}))
    mapped = mappings.map_request(spec.requestMapping, sample, method=spec.method)
    headers = {**spec.headers, **mapped.headers,
               **auth_headers(spec.auth, read_secret(integration, env))}
    netguard.check_host(urllib.parse.urlsplit(spec.url).hostname or "")
    try:
        url = sending.parse_url(spec.url, mapped.query)
    except ValueError as exc:
        raise errors.ConfigError(f"{integration.address}: cannot probe {spec.url!r}: {exc}") \
            from None
    if url.scheme != "https" and not allow_private:
        raise netguard.UnsafeTargetError(f"{integration.address}: only https URLs are probed")
    addresses = await netguard.checked_addresses(
        url.host, url.port, allow_private=allow_private, resolver=resolver
    )
    content = None
    if mapped.body is not None:
        content = jsontypes.dumps(mapped.body, compact=True).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    policy = policy or retrying.RetryPolicy(attempts=3, total_seconds=3.0 * spec.timeoutSeconds)
    async with sending.Client(origin=PROBE, tls=ssl_context(ca_bundle),
                              timeout_seconds=float(spec.timeoutSeconds)) as client:
        request = _Request(spec.method, url, headers, content)
        for index, address in enumerate(addresses):
            try:
                last = await _send(client, request, str(address), policy, clock=clock)
                break
            except errors.TransportError as exc:
                # A host with several addresses: one that refuses the connection is skipped.
                if exc.code != retrying.NOT_SENT or index == len(addresses) - 1:
                    raise
    return _judge(integration, request, str(address), last, unresolved=mapped.unresolved)


@dataclass(frozen=True)
class _Request:
    method: str
    url: sending.Url
    headers: Mapping[str, str]
    content: bytes | None


@dataclass
class _Last:
    """The latest answer seen, kept so a transient status that outlasts the retries is shown."""

    reply: sending.Reply | None = None
    seconds: float = 0.0
    attempts: int = 0


async def _send(
    client: sending.Client,
    request: _Request,
    address: str,
    policy: retrying.RetryPolicy,
    *,
    clock: Clock,
) -> _Last:
    """The last answer (transient failures retried), its latency and the attempts it took."""
    method, path = request.method, request.url.path
    last = _Last()

    async def attempt(number: int) -> sending.Reply:
        started = clock()
        reply = await client.send(method, request.url.text, headers=request.headers,
                                  content=request.content, connect_to=address)
        last.reply, last.seconds, last.attempts = reply, clock() - started, number
        if reply.status >= 400:
            refused = client.refusal(method, path, reply, now=policy.wall)
            if refused.transient:  # else the answer is the probe's result, judged as it is
                raise refused
        return reply

    try:
        await retrying.call(policy, attempt, repeatable=method != "POST", logger=LOGGER)
    except errors.BackendError as exc:
        if exc.status is None or last.reply is None:  # no answer arrived: nothing to judge
            raise
    return last


def _judge(
    integration: models.Integration,
    request: _Request,
    connected_to: str,
    last: _Last,
    *,
    unresolved: tuple[str, ...],
) -> ProbeResult:
    spec = integration.spec
    reply = last.reply
    assert reply is not None  # _send returns only once an answer arrived
    expect = spec.probe.expect if spec.probe else models.ProbeExpect()
    checks = [Check("status", reply.status == expect.status,
                    f"expected {expect.status}, got {reply.status}")]
    if unresolved:
        checks.append(Check("mapping", False, "the sample payload has nothing for "
                            + ", ".join(f"{{{{{e}}}}}" for e in unresolved)))
    result: lt.Json = None
    try:
        body: lt.Json = reply.json() if reply.content else None
    except ValueError:
        body = None
    if body is not None:
        mapping = spec.responseMapping
        result = mappings.map_response(body, extract=mapping.extract,
                                       normalize=mapping.normalize)
    if expect.keys:
        missing = mappings.missing_keys(result, expect.keys) if body is not None else [
            *expect.keys]
        detail = f"found: {', '.join(expect.keys)}"
        if missing:
            detail = "missing: " + ", ".join(missing)
            if body is None:
                detail += " (the answer is not JSON)"
        checks.append(Check("keys", not missing, detail))
    return ProbeResult(
        address=integration.address, method=request.method, url=request.url.text,
        connected_to=connected_to, status=reply.status, seconds=last.seconds,
        attempts=last.attempts, result=result, checks=tuple(checks),
    )
