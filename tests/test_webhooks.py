"""Signed webhooks against a local receiver: signatures verify, retries, never raising."""

from __future__ import annotations

import asyncio
import base64
import datetime
import email.utils
import json
import logging
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx
import pytest
from standardwebhooks import webhooks as swh
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler import errors
from reconciler.backend.httpkit import retrying
from reconciler.records import webhooks

CANARY = "canary-9f2c41d7e3b8"
RAW_SECRET = f"raw-text-secret-{CANARY}"
KEY = b"0123456789abcdef-" + CANARY.encode()
WHSEC_SECRET = "whsec_" + base64.b64encode(KEY).decode()
URL = f"https://hooks.example.test/services/{CANARY}?token={CANARY}"


@dataclass
class Receiver:
    """A Starlette app answering the statuses given, then 204, recording what arrived."""

    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def transport(self) -> httpx.ASGITransport:
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            status = self.statuses.pop(0) if self.statuses else 204
            return Response(status_code=status, headers=self.headers)

        app = Starlette(routes=[Route("/services/{rest:path}", hook, methods=["POST"])])
        return httpx.ASGITransport(app=app)


@dataclass
class Sleeps:
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _sender(receiver: Receiver | None, sleeps: Sleeps, *, secret: str = WHSEC_SECRET,
            transport: httpx.AsyncBaseTransport | None = None,
            attempts: int = 4, jitter: float = 1.0) -> webhooks.WebhookSender:
    chosen = transport if transport is not None else receiver.transport()  # type: ignore[union-attr]
    policy = retrying.RetryPolicy(attempts=attempts, sleep=sleeps, jitter=lambda: jitter)
    return webhooks.WebhookSender(URL, secret, transport=chosen, retry=policy)


@pytest.mark.parametrize(
    ("secret", "verifier_key"),
    [
        pytest.param(WHSEC_SECRET, WHSEC_SECRET, id="whsec-base64"),
        pytest.param(RAW_SECRET, RAW_SECRET.encode(), id="raw-text"),
    ],
)
def test_delivery_is_signed_after_standard_webhooks(secret: str, verifier_key: str | bytes) -> None:
    receiver, sleeps = Receiver(), Sleeps()
    data = {"bot": "support", "changes": {"create": 1, "update": 2}, "note": "héllo"}
    assert asyncio.run(_sender(receiver, sleeps, secret=secret).send("apply.completed", data))
    ((headers, body),) = receiver.received
    payload = swh.Webhook(verifier_key).verify(body, headers)
    assert payload["type"] == "apply.completed"
    assert payload["data"] == data
    assert payload["timestamp"].endswith("Z")
    assert headers["webhook-id"].startswith("msg_")
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert sleeps.waits == []


def test_a_wrong_key_does_not_verify() -> None:
    receiver = Receiver()
    assert asyncio.run(_sender(receiver, Sleeps()).send("plan.completed", {}))
    ((headers, body),) = receiver.received
    with pytest.raises(swh.WebhookVerificationError):
        swh.Webhook(b"another key").verify(body, headers)


def test_retries_on_503_then_delivers_with_one_message_id(caplog: pytest.LogCaptureFixture) -> None:
    receiver, sleeps = Receiver(statuses=[503, 503]), Sleeps()
    with caplog.at_level(logging.INFO, logger="reconciler.webhooks"):
        assert asyncio.run(_sender(receiver, sleeps).send("drift.detected", {"n": 1}))
    assert len(receiver.received) == 3
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 1
    assert len(sleeps.waits) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert "attempt 1/4 failed, retrying in 0.5s: POST https://hooks.example.test/(redacted) -> 503" in messages
    assert "webhook drift.detected delivered to https://hooks.example.test/(redacted)" in messages


def test_retry_after_is_honoured() -> None:
    receiver, sleeps = Receiver(statuses=[429], headers={"Retry-After": "7"}), Sleeps()
    assert asyncio.run(_sender(receiver, sleeps).send("x", {}))
    assert sleeps.waits == [pytest.approx(7.0, abs=1.0)]
    assert sleeps.waits[0] >= 7.0


def test_a_failing_url_returns_false_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    receiver, sleeps = Receiver(statuses=[503] * 10), Sleeps()
    with caplog.at_level(logging.INFO, logger="reconciler.webhooks"):
        assert asyncio.run(_sender(receiver, sleeps).send("apply.failed", {})) is False
    assert len(receiver.received) == 4
    assert len(sleeps.waits) == 3
    assert "not delivered: HTTP 503" in caplog.records[-1].getMessage()
    assert caplog.records[-1].levelno == logging.WARNING


def test_a_client_error_is_not_retried() -> None:
    receiver, sleeps = Receiver(statuses=[400]), Sleeps()
    assert asyncio.run(_sender(receiver, sleeps).send("x", {})) is False
    assert len(receiver.received) == 1
    assert sleeps.waits == []


def test_transport_errors_are_retried_and_never_raise(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps = Sleeps()
    sender = _sender(None, sleeps, transport=httpx.MockTransport(refuse), attempts=3)
    with caplog.at_level(logging.INFO, logger="reconciler.webhooks"):
        assert asyncio.run(sender.send("x", {})) is False
    assert len(calls) == 3
    assert "not delivered: ConnectError" in caplog.records[-1].getMessage()


def test_data_that_is_not_json_returns_false(caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver()
    with caplog.at_level(logging.INFO, logger="reconciler.webhooks"):
        assert asyncio.run(_sender(receiver, Sleeps()).send("x", {"v": object()})) is False
    assert receiver.received == []
    assert "not delivered" in caplog.records[-1].getMessage()


def _all_text(receiver: Receiver, records: Iterable[logging.LogRecord]) -> str:
    bodies = [body.decode() + json.dumps(headers) for headers, body in receiver.received]
    return "\n".join([*bodies, *(r.getMessage() for r in records)])


@pytest.mark.parametrize("secret", [WHSEC_SECRET, RAW_SECRET])
def test_the_secret_and_url_token_never_appear(
    secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, sleeps = Receiver(statuses=[503, 503, 503, 503]), Sleeps()
    with caplog.at_level(logging.DEBUG):
        sender = _sender(receiver, sleeps, secret=secret)
        assert asyncio.run(sender.send("apply.completed", {"ok": True})) is False
        caplog.records.append(logging.makeLogRecord({"msg": repr(sender)}))
    text = _all_text(receiver, caplog.records)
    assert CANARY not in text
    assert secret not in text
    assert base64.b64encode(KEY).decode() not in text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"COGCTL_WEBHOOK_URL": "  "}, None),
        ({"COGCTL_WEBHOOK_URL": "https://h.test/x", "COGCTL_WEBHOOK_SECRET": RAW_SECRET},
         "WebhookSender(https://h.test/(redacted))"),
    ],
)
def test_from_environment(env: dict[str, str], expected: str | None) -> None:
    sender = webhooks.from_environment(env)
    assert (None if sender is None else repr(sender)) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COGCTL_WEBHOOK_URL": "https://h.test/x"}, "COGCTL_WEBHOOK_SECRET is not"),
        ({"COGCTL_WEBHOOK_URL": "https://h.test/x", "COGCTL_WEBHOOK_SECRET": "whsec_!!!"},
         "not base64"),
        ({"COGCTL_WEBHOOK_URL": "ftp://h.test/x", "COGCTL_WEBHOOK_SECRET": "s"}, "http"),
    ],
)
def test_from_environment_refuses_bad_configuration(env: dict[str, str], message: str) -> None:
    with pytest.raises(errors.ConfigError, match=message):
        webhooks.from_environment(env)


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        (WHSEC_SECRET, KEY),
        (WHSEC_SECRET.rstrip("="), KEY),
        ("plain", b"plain"),
        ("whsec_" + base64.b64encode(b"k").decode(), b"k"),
    ],
)
def test_signing_key(secret: str, key: bytes) -> None:
    assert webhooks.signing_key(secret) == key


def test_the_default_transport_reports_a_refused_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    sender = webhooks.WebhookSender(f"http://127.0.0.1:{port}/hook", RAW_SECRET,
                                    attempts=2, sleep=sleeps, timeout=2.0)
    with caplog.at_level(logging.INFO, logger="reconciler.webhooks"):
        assert asyncio.run(sender.send("x", {})) is False
    assert len(sleeps.waits) == 1
    assert "not delivered: ConnectError" in caplog.records[-1].getMessage()


def test_a_sub_second_wait_is_logged_with_two_significant_digits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver, sleeps = Receiver(statuses=[503]), Sleeps()
    with caplog.at_level(logging.WARNING, logger="reconciler.webhooks"):
        assert asyncio.run(_sender(receiver, sleeps, jitter=0.08).send("drift.detected", {"n": 1}))
    assert sleeps.waits == [0.04]
    (message,) = [r.getMessage() for r in caplog.records]
    assert message == ("attempt 1/4 failed, retrying in 0.04s: "
                       "POST https://hooks.example.test/(redacted) -> 503")


@pytest.mark.parametrize(("status", "retried"), [
    (408, True), (425, True), (429, True), (500, True), (502, True), (503, True), (504, True),
    (400, False), (401, False), (404, False), (409, False), (410, False), (501, False),
    (302, False),
])
def test_which_answers_are_retried(status: int, retried: bool) -> None:
    receiver, sleeps = Receiver(statuses=[status]), Sleeps()
    delivered = asyncio.run(_sender(receiver, sleeps).send("x", {}))
    assert delivered is retried
    assert len(receiver.received) == (2 if retried else 1)


def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc)
                                       + datetime.timedelta(seconds=20), usegmt=True)
    receiver, sleeps = Receiver(statuses=[503], headers={"Retry-After": when}), Sleeps()
    assert asyncio.run(_sender(receiver, sleeps, jitter=0.0).send("x", {}))
    assert sleeps.waits == [pytest.approx(20.0, abs=2.0)]
