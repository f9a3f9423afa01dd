"""Sending one HTTP attempt: the one place an ``httpx.AsyncClient`` is built and used.

``Client`` owns a pooled ``httpx.AsyncClient`` for one origin: timeouts (30 s, 10 s to
connect), a deadline on the whole exchange (httpx enforces its timeouts on the network only;
the deadline also bounds in-process transports such as the embedded emulators and slow-drip
answers), no redirects ever followed, an optional TLS context (the probe's ``--ca-bundle``)
and an optional transport (``asgi_transport`` for the embedded emulators, ``httpx``'s mock
transport in tests). ``send`` makes one attempt and returns a ``Reply`` whatever its status,
or raises the origin's ``BackendError`` when no answer arrived; ``request`` adds the one retry
loop (``retrying.call``) and turns every answer that is not a 2xx into the origin's error.

Every exchange is logged by ``redacting.log_exchange``. A client whose URL is a credential
(``secret_url=True``, the webhook sender) is sent through its transport directly, so that not
even httpx's own INFO line about it shows the URL; its errors and log lines show the scheme
and host only.

``connect_to`` pins a request to an address already checked (the probe's SSRF guard): the
request goes to that IP while the ``Host`` header and TLS (SNI and the certificate check) keep
the name, and no second DNS lookup can send it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json as jsonlib
import logging
import ssl
import sys
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler import errors, jsontypes
from reconciler.backend.httpkit import failures, redacting, retrying
from reconciler.clock import Clock
from reconciler.jsontypes import Json

DEFAULT_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 5
POOL = httpx.Limits(max_connections=20, max_keepalive_connections=20)
Params = Mapping[str, str | int | bool]
# What a client may be given to send through instead of the network.
Transport = httpx.AsyncBaseTransport


def asgi_transport(app: Any) -> Transport:
    """Requests answered in-process by an ASGI application (the embedded emulators)."""
    return httpx.ASGITransport(app=app)


class Reply:
    """One HTTP answer, of any status, read to the end."""

    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def headers(self) -> Mapping[str, str]:
        """The answer's headers; keys compare case-insensitively."""
        return self._response.headers

    @property
    def content(self) -> bytes:
        return self._response.content

    @property
    def links(self) -> dict[str, str]:
        """``Link`` header targets by ``rel`` (RFC 8288), as GitHub pages its lists."""
        found = {}
        for key, link in self._response.links.items():
            if isinstance(key, str) and "url" in link:
                found[key] = link["url"]
        return found

    def json(self) -> Any:
        """The body as Python's ``json`` reads it; ``ValueError`` when it is not JSON."""
        return jsonlib.loads(self.content)

    def error_body(self) -> Json:
        """The body of a refusal when it is strict JSON; else None (the status says enough)."""
        if not self.content:
            return None
        try:
            body: Json = jsontypes.loads(self.content)
        except jsontypes.JsonError:
            return None
        return body


@dataclass(frozen=True)
class Url:
    """A URL as it will be sent: query merged and encoded, the port made explicit."""

    text: str
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str, params: Mapping[str, str] | None = None) -> Url:
    """``url`` with ``params`` merged into its query; ``ValueError`` when it is no URL."""
    try:
        parsed = httpx.URL(url)
        if params:
            parsed = parsed.copy_merge_params(dict(params))
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(str(exc)) from None
    default = 443 if parsed.scheme == "https" else 80
    return Url(text=str(parsed), scheme=parsed.scheme, host=parsed.host,
               port=parsed.port or default, path=parsed.path)


async def within(seconds: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    """Await ``request`` or raise ``asyncio.TimeoutError`` after ``seconds``."""
    if sys.version_info >= (3, 11):
        # A cancel scope on the running task: no extra task per request, unlike wait_for.
        async with asyncio.timeout(seconds):
            return await request
    # Python 3.10 has no asyncio.timeout: the same cancel scope by hand, so that every
    # version runs the request in the caller's own task (wait_for would wrap it in another,
    # and answers would then be seen in another order than they were sent).
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    handle = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await request
    except asyncio.CancelledError:
        if expired:
            raise asyncio.TimeoutError from None
        raise
    finally:
        handle.cancel()


def _pinned(url: httpx.URL, address: str) -> tuple[httpx.URL, dict[str, Any]]:
    """The URL aimed at the checked address, and the extensions that keep TLS on the name."""
    try:
        ipaddress.ip_address(url.host)
        return url, {}
    except ValueError:
        return url.copy_with(host=address), {"sni_hostname": url.host}


class Client:
    """One pooled HTTP client of one origin. ``send`` never lets an httpx exception out."""

    def __init__(
        self,
        *,
        origin: failures.Origin,
        base_url: str = "",
        transport: Transport | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        headers: Mapping[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
        secret_url: bool = False,
    ) -> None:
        self.origin = origin
        self._deadline = timeout_seconds
        self._secret_url = secret_url
        if secret_url and transport is None:
            transport = httpx.AsyncHTTPTransport(verify=tls if tls is not None else True)
        self._transport = transport
        self._http = httpx.AsyncClient(
            base_url=base_url, transport=transport, limits=POOL, follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds,
                                  connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds)),
            headers=dict(headers or {}), verify=tls if tls is not None else True,
        )

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def shown(self, url: str) -> str:
        """How errors name the target of ``url``: its path, or only its host when secret."""
        if self._secret_url:
            return redacting.redact_url(url, path=False)
        return urlsplit(url).path or url

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        json: Json = None,
        data: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        connect_to: str | None = None,
        shown: str | None = None,
    ) -> Reply:
        """One attempt: the answer, whatever its status, or the origin's error for none."""
        request = self._build(method, url, params=params, json=json, data=data,
                              content=content, headers=headers, connect_to=connect_to)
        started = time.monotonic()
        try:
            response = await within(self._deadline, self._exchange(request))
        except (httpx.HTTPError, asyncio.TimeoutError, OSError) as exc:
            self._log(request, type(exc).__name__, started)
            raise failures.from_transport(self.origin, method, shown or self.shown(url),
                                          exc) from exc
        self._log(request, response.status_code, started)
        return Reply(response)

    def refusal(self, method: str, path: str, reply: Reply, *,
                now: Clock = time.time) -> errors.BackendError:
        """The origin's error for an answer the caller does not accept."""
        return failures.from_response(self.origin, method, path, reply.status,
                                      reply.error_body(), reply.headers, now=now)

    async def request(
        self,
        method: str,
        url: str,
        *,
        policy: retrying.RetryPolicy,
        repeatable: bool,
        logger: logging.Logger,
        now: Clock | None = None,
        params: Params | None = None,
        json: Json = None,
    ) -> Reply:
        """Send with retries (``retrying.call``); any answer but a 2xx raises the origin's
        error, retried when it is transient."""
        shown = self.shown(url)

        async def attempt(_: int) -> Reply:
            reply = await self.send(method, url, params=params, json=json, shown=shown)
            if not reply.ok:
                raise self.refusal(method, shown, reply, now=now or policy.wall)
            return reply

        return await retrying.call(policy, attempt, repeatable=repeatable, logger=logger)

    async def download(self, url: str, *, limit: int, policy: retrying.RetryPolicy,
                       logger: logging.Logger, now: Clock | None = None) -> bytes:
        """The bytes behind ``url`` (an archive), through at most 5 redirects, with retries.

        A redirect to another origin (a storage host) is followed without this client's
        headers, so its credentials stay with its own origin; more than ``limit`` bytes is
        refused while reading, never buffered whole.
        """
        shown = self.shown(url)

        async def attempt(_: int) -> bytes:
            request = self._http.build_request("GET", url)
            for _hop in range(MAX_REDIRECTS + 1):
                started = time.monotonic()
                try:
                    response = await within(self._deadline, self._http.send(request, stream=True))
                except (httpx.HTTPError, asyncio.TimeoutError, OSError) as exc:
                    self._log(request, type(exc).__name__, started)
                    raise failures.from_transport(self.origin, "GET", shown, exc) from exc
                self._log(request, response.status_code, started)
                try:
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        target = request.url.join(location)
                        request = (self._http.build_request("GET", target)
                                   if target.netloc == request.url.netloc
                                   and target.scheme == request.url.scheme
                                   else httpx.Request("GET", target))
                        continue
                    return await self._read(response, limit, shown, now or policy.wall)
                finally:
                    await response.aclose()
            raise errors.BackendError(f"{self.origin.name} GET {shown}: more than "
                                      f"{MAX_REDIRECTS} redirects", method="GET", path=shown)

        return await retrying.call(policy, attempt, repeatable=True, logger=logger)

    async def _read(self, response: httpx.Response, limit: int, shown: str,
                    now: Clock) -> bytes:
        if not response.is_success:
            await response.aread()
            raise self.refusal("GET", shown, Reply(response), now=now)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise errors.BackendError(
                        f"{self.origin.name} GET {shown}: more than {limit} bytes",
                        method="GET", path=shown)
                chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise failures.from_transport(self.origin, "GET", shown, exc) from exc
        return b"".join(chunks)

    def _build(
        self, method: str, url: str, *, params: Params | None, json: Json,
        data: Mapping[str, str] | None, content: bytes | None,
        headers: Mapping[str, str] | None, connect_to: str | None,
    ) -> httpx.Request:
        body: dict[str, Any] = {}
        if json is not None:
            body["json"] = json
        if data is not None:
            body["data"] = data
        if content is not None:
            body["content"] = content
        extensions: dict[str, Any] = {}
        target: httpx.URL | str = url
        sent_headers = dict(headers or {})
        if connect_to is not None:
            named = httpx.URL(url)
            sent_headers["Host"] = named.netloc.decode("ascii")
            target, extensions = _pinned(named, connect_to)
        return self._http.build_request(method, target, params=params, headers=sent_headers,
                                        extensions=extensions, **body)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        if not self._secret_url:
            return await self._http.send(request)
        # httpx's client logs every request's full URL at INFO; this URL is a credential.
        assert self._transport is not None
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    def _log(self, request: httpx.Request, outcome: int | str, started: float) -> None:
        redacting.log_exchange(request.method, str(request.url), outcome,
                               time.monotonic() - started, path=not self._secret_url)
