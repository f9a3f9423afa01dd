"""``cogctl integration probe``: call an integration's external API exactly as configured.

The probe talks to the integration's own API, not to Cognigy, so it uses httpx directly (an
edge module, like the backend). What it sends follows the manifest: method, headers, auth with
the secret read from the environment, the request mapping applied to the sample payload
(``mappings``), the integration's timeout, and the backend's one retry policy
(``backend.retrying``: 429 and 5xx and transport failures retried with jitter; a POST only
when the connection never opened). Before connecting, ``netguard`` judges every address the
host resolves to; the request then goes to that checked address (TLS still verifies the
host name), and redirects are never followed: a 3xx is reported as it is.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from reconciler import errors, jsontypes
from reconciler.backend import errors as backend_errors
from reconciler.backend import httplog, retrying
from reconciler.clock import Clock
from reconciler.core import livetypes as lt
from reconciler.manifests import models
from reconciler.ops import mappings, netguard

LOGGER = logging.getLogger("reconciler.probing")
_TRANSIENT = frozenset({500, 502, 503, 504})


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


def _pinned(url: httpx.URL, address: netguard.IPAddress) -> tuple[httpx.URL, dict[str, str]]:
    """The URL aimed at the checked address, and the extensions that keep TLS on the name."""
    try:
        ipaddress.ip_address(url.host)
        return url, {}
    except ValueError:
        return url.copy_with(host=str(address)), {"sni_hostname": url.host}


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
        url = httpx.URL(spec.url).copy_merge_params(mapped.query)
    except httpx.InvalidURL as exc:
        raise errors.ConfigError(f"{integration.address}: cannot probe {spec.url!r}: {exc}") \
            from None
    if url.scheme != "https" and not allow_private:
        raise netguard.UnsafeTargetError(f"{integration.address}: only https URLs are probed")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await netguard.checked_addresses(
        url.host, port, allow_private=allow_private, resolver=resolver
    )
    headers["Host"] = url.netloc.decode("ascii")
    content = None
    if mapped.body is not None:
        content = jsontypes.dumps(mapped.body, compact=True).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    policy = policy or retrying.RetryPolicy(attempts=3, total_seconds=3.0 * spec.timeoutSeconds)
    async with httpx.AsyncClient(verify=ssl_context(ca_bundle), follow_redirects=False,
                                 event_hooks=httplog.event_hooks(),
                                 timeout=httpx.Timeout(float(spec.timeoutSeconds))) as client:
        for index, address in enumerate(addresses):
            target, extensions = _pinned(url, address)
            request = httpx.Request(spec.method, target, headers=headers, content=content,
                                    extensions=extensions)
            try:
                response, seconds, attempts = await _send(client, request, policy, clock=clock)
                break
            except errors.TransportError as exc:
                # A host with several addresses: one that refuses the connection is skipped.
                if exc.code != retrying.NOT_SENT or index == len(addresses) - 1:
                    raise
    return _judge(integration, request, url, response, seconds=seconds, attempts=attempts,
                  unresolved=mapped.unresolved)


def _tls_failure(exc: BaseException) -> str | None:
    """The certificate problem behind a transport error, if that is what it was."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


@dataclass
class _Last:
    """The latest answer seen, kept so a transient status that outlasts the retries is shown."""

    response: httpx.Response | None = None
    seconds: float = 0.0
    attempts: int = 0


async def _send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    policy: retrying.RetryPolicy,
    *,
    clock: Clock,
) -> tuple[httpx.Response, float, int]:
    """The last answer (transient failures retried), its latency and the attempts it took."""
    method, path = request.method, request.url.path
    last = _Last()

    async def attempt(number: int) -> httpx.Response:
        started = clock()
        try:
            response = await client.send(request)
            await response.aread()
        except httpx.HTTPError as exc:
            tls = _tls_failure(exc)
            if tls is not None:  # retrying cannot fix a certificate: fail at once
                raise errors.BackendError(
                    f"{method} {path}: TLS failed: {tls}", method=method, path=path,
                    code="tls", hint="pass --ca-bundle FILE to trust a private CA",
                ) from None
            failure = backend_errors.from_transport(method, path, exc)
            failure.hint = "check the integration URL and that the service is up"
            raise failure from None
        last.response, last.seconds, last.attempts = response, clock() - started, number
        if response.status_code == 429:
            retry_after = backend_errors.parse_retry_after(response.headers.get("Retry-After"))
            raise errors.RateLimitedError(f"{method} {path} -> 429", retry_after=retry_after,
                                          method=method, path=path, status=429)
        if response.status_code in _TRANSIENT:
            raise errors.ServerError(f"{method} {path} -> {response.status_code}",
                                     method=method, path=path, status=response.status_code)
        return response

    try:
        response = await retrying.call(policy, attempt, repeatable=method != "POST",
                                       logger=LOGGER)
    except (errors.RateLimitedError, errors.ServerError):
        if last.response is None:  # pragma: no cover - both are raised after an answer
            raise
        response = last.response
    return response, last.seconds, last.attempts


def _judge(
    integration: models.Integration,
    request: httpx.Request,
    url: httpx.URL,
    response: httpx.Response,
    *,
    seconds: float,
    attempts: int,
    unresolved: tuple[str, ...],
) -> ProbeResult:
    spec = integration.spec
    expect = spec.probe.expect if spec.probe else models.ProbeExpect()
    checks = [Check("status", response.status_code == expect.status,
                    f"expected {expect.status}, got {response.status_code}")]
    if unresolved:
        checks.append(Check("mapping", False, "the sample payload has nothing for "
                            + ", ".join(f"{{{{{e}}}}}" for e in unresolved)))
    result: lt.Json = None
    try:
        body: lt.Json = response.json() if response.content else None
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
        address=integration.address, method=request.method, url=str(url),
        connected_to=request.url.host, status=response.status_code, seconds=seconds,
        attempts=attempts, result=result, checks=tuple(checks),
    )
