"""Signed webhooks: tell another system what a command did (Standard Webhooks scheme).

Configured from the environment: ``COGCTL_WEBHOOK_URL`` and ``COGCTL_WEBHOOK_SECRET``.
Each event is one POST of ``{"type": <event type>, "timestamp": <RFC 3339>, "data": {...}}``
with the headers ``webhook-id`` (the same on every retry of one event, so receivers can
deduplicate), ``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature:
v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, signed by the ``standardwebhooks``
library; a receiver checks it with ``standardwebhooks.Webhook(secret).verify(body, headers)``.

The secret may be given two ways:

- ``whsec_<base64>``: the Standard Webhooks form; the key is the base64-decoded bytes.
- anything else: raw text; the key is its UTF-8 bytes. A receiver using the library passes
  the same bytes: ``Webhook(secret.encode())``.

Policy: a webhook never fails the command. Transport errors, 429 and 5xx are retried with
jittered exponential backoff (``Retry-After`` honoured, capped); other answers fail at once.
Failures are logged on the ``reconciler.webhooks`` logger and ``send`` returns False. Neither
the secret nor the URL's path and query (which often hold a token) are ever logged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as _dt
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from reconciler import errors, jsontypes
from reconciler.backend import httplog, retrying
from reconciler.clock import Sleep

URL_ENV = "COGCTL_WEBHOOK_URL"
SECRET_ENV = "COGCTL_WEBHOOK_SECRET"
SECRET_PREFIX = "whsec_"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_WAIT = 30.0

_log = logging.getLogger("reconciler.webhooks")


class _Retryable(Exception):
    """An attempt that failed in a way worth another try."""

    def __init__(self, description: str, *, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class _Rejected(Exception):
    """The receiver answered; trying again would get the same answer."""


def signing_key(secret: str) -> bytes:
    """The HMAC key for ``secret``: base64-decoded after ``whsec_``, else its UTF-8 bytes."""
    if not secret:
        raise errors.ConfigError(f"{SECRET_ENV} is empty")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    encoded = secret[len(SECRET_PREFIX):].rstrip("=")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        key = b""
    if not key:
        raise errors.ConfigError(
            f"{SECRET_ENV} starts with {SECRET_PREFIX} but the rest is not base64",
            hint=f"give {SECRET_PREFIX}<base64 key> or a secret without that prefix",
        )
    return key


def redact_url(url: str) -> str:
    """Scheme and host only: webhook URLs often carry a token in their path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class WebhookSender:
    """Delivers signed events to one URL. ``send`` never raises; see the module docstring."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        attempts: int = 4,
        sleep: Sleep | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], _dt.datetime] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise errors.ConfigError(f"{URL_ENV} must be an http(s) URL, got {redact_url(url)}")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        from standardwebhooks import webhooks as swh  # only when webhooks are configured

        self._webhook = swh.Webhook(signing_key(secret))
        self._transport = transport
        self._attempts = attempts
        self._sleep = sleep or asyncio.sleep
        self._log = logger or _log
        self._clock = clock or _utc_now
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"WebhookSender({redact_url(self.url)})"

    async def send(self, event_type: str, data: Mapping[str, Any]) -> bool:
        """POST one event, retrying transient failures; True when a 2xx answer came back."""
        where = redact_url(self.url)
        try:
            timestamp = self._clock().astimezone(_dt.timezone.utc)
            body = jsontypes.dumps(
                {"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
                 "data": dict(data)},
                compact=True,
            )
            message_id = f"msg_{uuid.uuid4().hex}"
            transport = self._transport or httpx.AsyncHTTPTransport()
            try:
                async for attempt in self._retrying(event_type, where):
                    with attempt:
                        httplog.ATTEMPT.set(attempt.retry_state.attempt_number)
                        await self._post(transport, message_id, body)
            finally:
                if self._transport is None:
                    await transport.aclose()
        except (_Retryable, _Rejected) as exc:
            self._log.warning("webhook %s to %s not delivered: %s", event_type, where, exc)
            return False
        except Exception as exc:  # a webhook must never fail the command
            self._log.warning("webhook %s to %s not delivered: %s: %s",
                              event_type, where, type(exc).__name__, exc)
            return False
        self._log.info("webhook %s delivered to %s", event_type, where)
        return True

    def _retrying(self, event_type: str, where: str) -> tenacity.AsyncRetrying:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            self._log.warning("webhook %s attempt %d/%d failed, retrying in %s: %s -> %s",
                              event_type, state.attempt_number, self._attempts,
                              retrying.format_wait(wait),
                              where, failure)

        return tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(self._attempts),
            wait=_wait,
            retry=tenacity.retry_if_exception_type(_Retryable),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    async def _post(
        self, transport: httpx.AsyncBaseTransport, message_id: str, body: str
    ) -> None:
        # The transport, not an AsyncClient: the client logs every request's full URL at INFO,
        # and a webhook URL's path or query is often its credential.
        sent_at = self._clock().astimezone(_dt.timezone.utc)
        headers = {
            "content-type": "application/json",
            "user-agent": "cogctl-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, sent_at, body),
        }
        request = httpx.Request(
            "POST", self.url, content=body.encode("utf-8"), headers=headers,
            extensions={"timeout": httpx.Timeout(self._timeout).as_dict()},
        )
        started = time.monotonic()
        try:
            response = await transport.handle_async_request(request)
            await response.aclose()
        except httpx.TransportError as exc:
            httplog.log_exchange("POST", self.url, type(exc).__name__,
                                 time.monotonic() - started, path=False)
            raise _Retryable(type(exc).__name__) from None
        httplog.log_exchange("POST", self.url, response.status_code, time.monotonic() - started,
                             path=False)
        if response.is_success:
            return
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(f"HTTP {response.status_code}", retry_after=_retry_after(response))
        raise _Rejected(f"HTTP {response.status_code}")


_backoff = tenacity.wait_random_exponential(multiplier=0.5, max=_MAX_WAIT)


def _wait(state: tenacity.RetryCallState) -> float:
    """Full-jitter exponential backoff, but never shorter than the receiver's Retry-After."""
    jittered = float(_backoff(state))
    failure = state.outcome.exception() if state.outcome else None
    if isinstance(failure, _Retryable) and failure.retry_after is not None:
        return min(_MAX_WAIT, max(jittered, failure.retry_after))
    return jittered


def from_environment(
    env: Mapping[str, str] = os.environ, **options: Any
) -> WebhookSender | None:
    """A sender for ``COGCTL_WEBHOOK_URL`` signed with ``COGCTL_WEBHOOK_SECRET``, or None.

    None when no URL is set. A URL without a secret is a ``ConfigError``: events are never
    sent unsigned. ``options`` go to ``WebhookSender`` (tests inject a transport and sleep).
    """
    url = env.get(URL_ENV, "").strip()
    if not url:
        return None
    secret = env.get(SECRET_ENV, "")
    if not secret:
        raise errors.ConfigError(
            f"{URL_ENV} is set but {SECRET_ENV} is not",
            hint="set the signing secret, or unset the URL to send no webhooks",
        )
    return WebhookSender(url, secret, **options)
