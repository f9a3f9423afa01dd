"""Test doubles several suites share: a clock that never waits, a webhook receiver.

Importable as ``fakes`` from every test module (pytest puts ``tests/`` on the path, being the
first folder above the test packages without an ``__init__.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import standardwebhooks
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator.platform.serving import serve_in_thread


class FakeClock:
    """The one fake clock of the suite: seconds since the epoch, moved by hand or by sleeping.

    ``sleep`` records the wait and moves time forward at once; ``advance`` moves it without a
    sleep. Hand the same instance to the client (retry and rate-limit sleeps), the engine
    (deadlines) and the emulator (token expiry, rate-limit windows, training): they then agree
    on the time and no test waits.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        # At least a microsecond: near 1.8e9 a smaller step is lost to float rounding, and a
        # waiter that sleeps "a hair" would spin forever on a clock that never moves.
        self.now += max(1e-6, seconds) if seconds > 0 else 0.0
        await asyncio.sleep(0)


class WebhookReceiver:
    """A webhook endpoint (``POST /hook``) that keeps every delivery: body and headers."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        self.deliveries.append((await request.body(), dict(request.headers)))
        return Response(status_code=204)

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """Every delivery's payload; raises unless each carries a valid signature."""
        webhook = standardwebhooks.Webhook(secret)
        return [webhook.verify(body, headers) for body, headers in self.deliveries]


@contextlib.contextmanager
def serving_receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    """A ``WebhookReceiver`` served on 127.0.0.1, and its URL."""
    receiver = WebhookReceiver()
    with serve_in_thread(receiver.app) as server:
        yield receiver, f"{server.url}/hook"
