"""Test doubles several suites share: a clock that never waits, a webhook receiver.

Importable as ``fakes`` from every test module (pytest puts ``tests/`` on the path, being the
first folder above the test packages without an ``__init__.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Iterator
from typing import Any

import standardwebhooks
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator.platform.serving import serve_in_thread


class FakeClock:
    """Seconds since the epoch; ``sleep`` records the wait and moves time forward at once.

    Hand the same instance to the client (retry and rate-limit sleeps) and to the emulator
    (token expiry, rate-limit windows): they then agree on the time and no test waits.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class VirtualClock:
    """Emulated time for several concurrent clients sharing one event loop.

    ``sleep`` parks the caller until its wake time; time jumps to the earliest wake time only
    when no task can run (the loop's ready queue is empty), so two clients sleeping 10 s
    side by side wake together at +10 s, not at +20 s as with ``FakeClock``. In-process
    transports only: a task waiting on real I/O would look idle.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._keeper: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._heap, (self.now + max(0.0, seconds), self._seq, future))
        self._seq += 1
        if self._keeper is None or self._keeper.done():
            self._keeper = loop.create_task(self._keep())
        await future

    async def _keep(self) -> None:
        loop = asyncio.get_running_loop()
        while self._heap:
            await asyncio.sleep(0)
            if loop._ready:  # type: ignore[attr-defined]  # someone can still run
                continue
            wake, _, future = heapq.heappop(self._heap)
            self.now = max(self.now, wake)
            if not future.done():
                future.set_result(None)


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
