"""The HTTP toolkit on its own: Retry-After forms, what is retried, origins, redaction, sending.

Tables for the pure parts; ``httpx.MockTransport`` for ``sending.Client``, whose answers
cannot come from the emulator (a hanging transport, a refused connection, a 503 saying when).
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import FakeClock

from reconciler import errors
from reconciler.backend import requesting
from reconciler.backend.cognigy_ai import http as ai_http
from reconciler.backend.httpkit import failures, redacting, retrying, sending
from reconciler.github import api as github_api
from reconciler.ops import probing
from reconciler.records import webhooks

NOW = 1_800_000_000.0
PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        (" 1.5 ", 1.5),
        ("-4", 0.0),
        ("inf", None),
        ("nan", None),
        (email.utils.formatdate(NOW + 12, usegmt=True), 12.0),  # IMF-fixdate
        ("Fri, 15 Jan 2027 08:00:12 GMT", 12.0),  # NOW is 08:00:00 that day
        ("Friday, 15-Jan-27 08:00:12 GMT", 12.0),  # RFC 850, obsolete but allowed
        ("Fri Jan 15 08:00:12 2027", 12.0),  # asctime
        (email.utils.formatdate(NOW - 50, usegmt=True), 0.0),  # in the past: at once
        ("soon", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_retry_after_seconds_or_http_date(header: str | None, expected: float | None) -> None:
    assert retrying.parse_retry_after(header, now=lambda: NOW) == expected


PLATFORM, AI, GITHUB = requesting.PLATFORM, ai_http.COGNIGY_AI, github_api.GITHUB
WEBHOOK, PROBE = webhooks.WEBHOOK, probing.PROBE


@pytest.mark.parametrize(
    ("origin", "status", "headers", "retried"),
    [
        *[(PLATFORM, s, {}, s in {429, 500, 502, 503, 504})
          for s in (400, 401, 403, 404, 408, 409, 422, 425, 429, 500, 501, 502, 503, 504, 505)],
        (WEBHOOK, 408, {}, True),
        (WEBHOOK, 425, {}, True),
        (WEBHOOK, 410, {}, False),
        (GITHUB, 403, {}, False),  # a refusal
        (GITHUB, 403, {"retry-after": "3"}, True),  # a secondary rate limit
        (GITHUB, 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 9)},
         True),
        (GITHUB, 503, {}, True),
        (PROBE, 502, {}, True),
    ],
)
def test_the_retry_decision_per_status(origin: failures.Origin, status: int,
                                       headers: dict[str, str], retried: bool) -> None:
    error = failures.from_response(origin, "GET", "/x", status, None, headers, now=lambda: NOW)
    assert retrying.is_retryable(error, repeatable=True) is retried
    # A 429 is retried even when repeating is unsafe: the server did not act on it.
    assert retrying.is_retryable(error, repeatable=False) is isinstance(
        error, errors.RateLimitedError)


@pytest.mark.parametrize(
    ("exc", "not_sent", "repeatable", "retried"),
    [
        (httpx.ConnectError("refused"), True, False, True),
        (httpx.ConnectTimeout("slow"), True, False, True),
        (httpx.PoolTimeout("busy"), True, False, True),
        (httpx.ReadTimeout("slow"), False, True, True),
        (httpx.ReadTimeout("slow"), False, False, False),
        (httpx.RemoteProtocolError("reset"), False, True, True),
        (asyncio.TimeoutError(), False, True, True),
        (ConnectionResetError("dropped"), False, False, False),
    ],
)
def test_the_retry_decision_per_transport_failure(exc: Exception, not_sent: bool,
                                                  repeatable: bool, retried: bool) -> None:
    error = failures.from_transport(PLATFORM, "POST", "/x", exc)
    assert isinstance(error, errors.TransportError)
    assert (error.code == retrying.NOT_SENT) is not_sent
    assert retrying.is_retryable(error, repeatable=repeatable) is retried


@pytest.mark.parametrize(
    ("origin", "status", "body", "line", "hint"),
    [
        (PLATFORM, 404, {"error": "not_found", "message": "no slot"},
         "Platform API GET /x -> 404 not_found: no slot", "deleted outside cogctl"),
        (AI, 404, ai_http.platform_body({"code": 1002, "detail": "gone", "traceId": "t1"}),
         "Cognigy.AI API GET /x -> 404 not_found: gone (traceId t1)", "deleted outside cogctl"),
        (AI, 401, None, "Cognigy.AI API GET /x -> 401 unauthorized", "COGNIGY_API_KEY"),
        (GITHUB, 404, {"message": "Not Found"}, "GitHub API GET /x -> 404 not_found: Not Found",
         "GITHUB_REPOSITORY"),
        (GITHUB, 401, {"message": "Bad credentials"},
         "GitHub API GET /x -> 401 unauthorized: Bad credentials", "GITHUB_TOKEN"),
        (WEBHOOK, 410, None, "webhook GET /x -> 410 (unexpected status)", None),
        (PROBE, 503, None, "integration probe GET /x -> 503", None),
    ],
)
def test_every_message_names_its_origin(origin: failures.Origin, status: int, body: Any,
                                        line: str, hint: str | None) -> None:
    error = failures.from_response(origin, "GET", "/x", status, body, {})
    assert error.message == line
    assert (error.hint is None) if hint is None else (hint in (error.hint or ""))


def test_a_github_404_is_no_platform_error() -> None:
    github = failures.from_response(GITHUB, "GET", "/repos/o/r", 404, None, {})
    platform = failures.from_response(PLATFORM, "GET", "/repos/o/r", 404, None, {})
    assert type(github) is type(platform) is errors.NotFoundError
    assert "Platform" not in str(github)
    assert "GitHub" not in str(platform)


@pytest.mark.parametrize("origin", [PLATFORM, AI, GITHUB, WEBHOOK, PROBE], ids=lambda o: o.name)
def test_transport_failures_name_their_origin(origin: failures.Origin) -> None:
    error = failures.from_transport(origin, "GET", "/x", httpx.ReadTimeout("slow"))
    assert str(error).startswith(f"{origin.name} GET /x timed out (ReadTimeout)")


def test_a_503_that_says_when_is_waited_for() -> None:
    error = failures.from_response(PLATFORM, "GET", "/x", 503, None, {"retry-after": "4"})
    assert isinstance(error, errors.ServerError)
    assert error.retry_after == 4.0
    assert retrying.RetryPolicy(jitter=lambda: 0.0).backoff(1, error.retry_after) == 4.0


@pytest.mark.parametrize(
    ("url", "path", "shown"),
    [
        ("https://t.example.com/api/v1/bots?limit=100", True,
         "https://t.example.com/api/v1/bots?limit=100"),
        ("https://t.example.com/x?access_token=abc&limit=1", True,
         "https://t.example.com/x?access_token=(redacted)&limit=1"),
        ("https://t.example.com/x?client_secret=s&apiKey=k&sig=v&q=a", True,
         "https://t.example.com/x?client_secret=(redacted)&apiKey=(redacted)&sig=(redacted)&q=a"),
        ("https://u:pw@t.example.com:8443/p?api_key=k", True,
         "https://(redacted)@t.example.com:8443/p?api_key=(redacted)"),
        ("https://[2001:db8::1]:8443/p", True, "https://[2001:db8::1]:8443/p"),
        ("https://hooks.example.com/T000/B000/secretpath?sig=1", False,
         "https://hooks.example.com/(redacted)"),
        ("https://hooks.example.com", False, "https://hooks.example.com"),
        ("http://u:pw@127.0.0.1:9/hook", False, "http://(redacted)@127.0.0.1:9/(redacted)"),
    ],
)
def test_redaction(url: str, path: bool, shown: str) -> None:
    assert redacting.redact_url(url, path=path) == shown


def test_each_toolkit_rule_is_defined_once() -> None:
    rules = [
        (r"^def parse_retry_after\(", ["backend/httpkit/retrying.py"]),
        (r"^def redact_url\(", ["backend/httpkit/redacting.py"]),
        (r"^def from_response\(", ["backend/httpkit/failures.py"]),
        (r"^def from_transport\(", ["backend/httpkit/failures.py"]),
        (r"^class RetryPolicy\b", ["backend/httpkit/retrying.py"]),
        (r"httpx\.AsyncClient\(", ["backend/httpkit/sending.py"]),
        (r"tenacity\.AsyncRetrying\(", ["backend/httpkit/retrying.py"]),
        (r"^import httpx", ["backend/httpkit/failures.py", "backend/httpkit/sending.py"]),
    ]
    for pattern, owners in rules:
        found = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                       if re.search(pattern, p.read_text(encoding="utf-8"), re.M))
        assert found == owners, pattern


# --- sending.Client over httpx.MockTransport -----------------------------------------------

def _client(handler: Any, **options: Any) -> sending.Client:
    return sending.Client(origin=GITHUB, base_url="https://api.example.test",
                          transport=httpx.MockTransport(handler), **options)


def _policy(clock: FakeClock) -> retrying.RetryPolicy:
    return retrying.RetryPolicy(sleep=clock.sleep, clock=clock, wall=clock, jitter=lambda: 0.0)


def test_request_retries_a_503_as_long_as_it_asks_then_answers(clock: FakeClock) -> None:
    answers = [httpx.Response(503, headers={"Retry-After": "6"}), httpx.Response(200, json=[1])]

    async def scenario() -> Any:
        async with _client(lambda request: answers.pop(0)) as client:
            reply = await client.request("GET", "/items", policy=_policy(clock),
                                         repeatable=True, logger=logging.getLogger("t"))
            return reply.json()

    assert asyncio.run(scenario()) == [1]
    assert clock.sleeps == [6.0]


def test_request_raises_the_origins_error_for_a_refusal(clock: FakeClock) -> None:
    async def scenario() -> None:
        async with _client(lambda r: httpx.Response(404, json={"message": "Not Found"})) as c:
            await c.request("GET", "/repos/o/r?x=1", policy=_policy(clock), repeatable=True,
                            logger=logging.getLogger("t"))

    with pytest.raises(errors.NotFoundError, match=r"^GitHub API GET /repos/o/r -> 404"):
        asyncio.run(scenario())
    assert clock.sleeps == []


def test_no_answer_becomes_the_origins_transport_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def scenario() -> None:
        async with _client(refuse) as client:
            await client.send("GET", "/x")

    with pytest.raises(errors.TransportError, match=r"^GitHub API GET /x failed") as caught:
        asyncio.run(scenario())
    assert caught.value.code == retrying.NOT_SENT
    assert failures.cause_name(caught.value) == "ConnectError"


def test_the_deadline_bounds_an_in_process_answer_that_never_comes() -> None:
    class Hanging(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.Event().wait()  # never set
            raise AssertionError("unreachable")

    async def scenario() -> None:
        async with sending.Client(origin=PLATFORM, base_url="http://t.test",
                                  transport=Hanging(), timeout_seconds=0.05) as client:
            await client.send("GET", "/api/v1/bots")

    with pytest.raises(errors.TransportError, match="timed out"):
        asyncio.run(scenario())


def test_connect_to_pins_the_address_and_keeps_the_name() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async def scenario() -> None:
        async with sending.Client(origin=PROBE, transport=httpx.MockTransport(answer)) as c:
            await c.send("GET", "https://crm.example.test:8443/v1?q=1", connect_to="192.0.2.7")
            await c.send("GET", "https://192.0.2.8/v1", connect_to="192.0.2.8")

    asyncio.run(scenario())
    pinned, literal = seen
    assert str(pinned.url) == "https://192.0.2.7:8443/v1?q=1"
    assert pinned.headers["host"] == "crm.example.test:8443"
    assert pinned.extensions["sni_hostname"] == "crm.example.test"
    assert str(literal.url) == "https://192.0.2.8/v1"
    assert "sni_hostname" not in literal.extensions


def test_a_secret_url_shows_nowhere(caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    url = "https://hooks.example.test/T0/canary-path?token=canary-query"

    async def scenario() -> None:
        async with sending.Client(origin=WEBHOOK, secret_url=True,
                                  transport=httpx.MockTransport(
                                      lambda r: httpx.Response(500))) as client:
            async def attempt(_: int) -> None:
                reply = await client.send("POST", url, content=b"{}")
                raise client.refusal("POST", client.shown(url), reply)

            await retrying.call(_policy(clock), attempt, repeatable=True,
                                logger=logging.getLogger("reconciler.webhooks"))

    with caplog.at_level(logging.DEBUG), pytest.raises(errors.ServerError) as caught:
        asyncio.run(scenario())
    text = str(caught.value) + "\n".join(r.getMessage() for r in caplog.records)
    assert "http POST https://hooks.example.test/(redacted) -> 500" in text
    assert "webhook POST https://hooks.example.test/(redacted) -> 500" in text
    assert "canary" not in text


@pytest.mark.parametrize(
    ("url", "params", "text", "port"),
    [
        ("https://crm.test/v1", {"email": "a@b.c"}, "https://crm.test/v1?email=a%40b.c", 443),
        ("http://crm.test:8080/v1?x=1", {"y": "2"}, "http://crm.test:8080/v1?x=1&y=2", 8080),
        ("https://crm.test", None, "https://crm.test", 443),
    ],
)
def test_parse_url(url: str, params: dict[str, str] | None, text: str, port: int) -> None:
    parsed = sending.parse_url(url, params)
    assert (parsed.text, parsed.port, parsed.host) == (text, port, "crm.test")


def test_parse_url_refuses_what_is_no_url() -> None:
    with pytest.raises(ValueError, match="Invalid port"):
        sending.parse_url("https://[::1/")
