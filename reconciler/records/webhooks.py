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

Policy: a webhook never fails the command. It is sent through the HTTP toolkit with the one
retry policy (``backend.httpkit.retrying``, at most 4 attempts by default): transport errors,
408, 425, 429 and 500/502/503/504 are retried with full-jitter exponential backoff, never
sooner than ``Retry-After`` (seconds or an HTTP-date; one beyond the 30 s cap gives up); every
attempt of one event is safe to repeat, since receivers deduplicate on ``webhook-id``. Other
answers fail at once. Failures are logged on the ``reconciler.webhooks`` logger and ``send``
returns False. Neither the secret nor the URL's path and query (which often hold a token) are
ever logged: the URL shows as ``https://host/(redacted)``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as _dt
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from reconciler import errors, jsontypes
from reconciler.backend.httpkit import failures, redacting, retrying, sending
from reconciler.clock import Sleep

URL_ENV = "COGCTL_WEBHOOK_URL"
SECRET_ENV = "COGCTL_WEBHOOK_SECRET"
SECRET_PREFIX = "whsec_"

_log = logging.getLogger("reconciler.webhooks")

# 408 and 425 say "too early, try again"; a receiver answers them for a request it dropped.
WEBHOOK = failures.Origin("webhook", transient=frozenset({408, 425}), hints={
    "transport": f"check {URL_ENV} and that the receiver is up",
    "tls": f"check {URL_ENV}; a private CA must be trusted through SSL_CERT_FILE",
})


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


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _why(exc: errors.BackendError) -> str:
    """What the log says went wrong: the status, or the failure underneath (``ConnectError``)."""
    if exc.status is not None:
        return f"HTTP {exc.status}"
    if isinstance(exc, errors.TransportError):
        return failures.cause_name(exc)
    return exc.message


class WebhookSender:
    """Delivers signed events to one URL. ``send`` never raises; see the module docstring."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        transport: sending.Transport | None = None,
        attempts: int = 4,
        sleep: Sleep | None = None,
        retry: retrying.RetryPolicy | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], _dt.datetime] | None = None,
        timeout: float = 10.0,
    ) -> None:
        shown = redacting.redact_url(url, path=False)
        if urlsplit(url).scheme not in {"http", "https"} or not urlsplit(url).hostname:
            raise errors.ConfigError(f"{URL_ENV} must be an http(s) URL, got {shown}")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self._shown = shown
        from standardwebhooks import webhooks as swh  # only when webhooks are configured

        self._webhook = swh.Webhook(signing_key(secret))
        self._transport = transport
        self._retry = retry or retrying.RetryPolicy(attempts=attempts,
                                                    sleep=sleep or asyncio.sleep)
        self._log = logger or _log
        self._clock = clock or _utc_now
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"WebhookSender({self._shown})"

    async def send(self, event_type: str, data: Mapping[str, Any]) -> bool:
        """POST one event, retrying transient failures; True when a 2xx answer came back."""
        where = self._shown
        try:
            timestamp = self._clock().astimezone(_dt.timezone.utc)
            body = jsontypes.dumps(
                {"type": event_type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
                 "data": dict(data)},
                compact=True,
            )
            await self._deliver(f"msg_{uuid.uuid4().hex}", body)
        except errors.BackendError as exc:
            self._log.warning("webhook %s to %s not delivered: %s", event_type, where, _why(exc))
            return False
        except Exception as exc:  # a webhook must never fail the command
            self._log.warning("webhook %s to %s not delivered: %s: %s",
                              event_type, where, type(exc).__name__, exc)
            return False
        self._log.info("webhook %s delivered to %s", event_type, where)
        return True

    async def _deliver(self, message_id: str, body: str) -> None:
        """Every attempt of one event: the same id, a fresh timestamp and signature."""
        async with sending.Client(origin=WEBHOOK, transport=self._transport,
                                  timeout_seconds=self._timeout, secret_url=True) as client:

            async def attempt(_: int) -> None:
                reply = await client.send("POST", self.url, content=body.encode("utf-8"),
                                          headers=self._headers(message_id, body))
                if not reply.ok:
                    raise client.refusal("POST", self._shown, reply, now=self._retry.wall)

            await retrying.call(self._retry, attempt, repeatable=True, logger=self._log)

    def _headers(self, message_id: str, body: str) -> dict[str, str]:
        sent_at = self._clock().astimezone(_dt.timezone.utc)
        return {
            "content-type": "application/json",
            "user-agent": "cogctl-webhooks",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self._webhook.sign(message_id, sent_at, body),
        }


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
