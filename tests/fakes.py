"""Test doubles several suites share: a clock that never waits, a backend wrapper, a webhook
receiver.

Importable as ``fakes`` from every test module (pytest puts ``tests/`` on the path, being the
first folder above the test packages without an ``__init__.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import Iterator, Mapping
from typing import Any

import standardwebhooks
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.backend import base
from reconciler.core import livetypes as lt
from reconciler.emulator.platform.serving import serve_in_thread


class FakeClock:
    """The one fake clock of the suite: seconds since the epoch, moved by hand or by sleeping.

    ``sleep`` records the wait and moves time forward at once; ``advance`` moves it without a
    sleep. Hand the same instance to the client (retry and rate-limit sleeps), the engine
    (deadlines) and the emulator (token expiry, rate-limit windows, training): they then agree
    on the time and no test waits.

    ``concurrent=True`` is emulated time for several clients sharing one event loop: ``sleep``
    parks the caller until its wake time, and time jumps to the earliest wake time only when
    no task can run (the loop's ready queue is empty), so two clients sleeping 10 s side by
    side wake together at +10 s, not at +20 s. In-process transports only: a task waiting on
    real I/O would look idle.
    """

    def __init__(self, start: float = 1_800_000_000.0, *, concurrent: bool = False) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._concurrent = concurrent
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._keeper: asyncio.Task[None] | None = None

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self._concurrent:
            await self._park(seconds)
            return
        # At least a microsecond: near 1.8e9 a smaller step is lost to float rounding, and a
        # waiter that sleeps "a hair" would spin forever on a clock that never moves.
        self.now += max(1e-6, seconds) if seconds > 0 else 0.0
        await asyncio.sleep(0)

    async def _park(self, seconds: float) -> None:
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


class DelegatingBackend(base.Backend):
    """A ``Backend`` that passes every call to ``inner`` (usually the real client).

    Doubles that intercept a few calls (to count, delay, race or fail them) subclass it and
    override just those; the rest reach the real backend. Being a declared ``base.Backend``,
    every override is checked against the protocol's signatures.
    """

    def __init__(self, inner: base.Backend) -> None:
        self.inner = inner

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def list_bots(self) -> list[lt.Bot]:
        return await self.inner.list_bots()

    async def get_bot(self, bot_id: str) -> lt.Bot:
        return await self.inner.get_bot(bot_id)

    async def list_integrations(self, bot_id: str) -> list[lt.LiveIntegration]:
        return await self.inner.list_integrations(bot_id)

    async def get_integration(self, integration_id: str) -> lt.LiveIntegration:
        return await self.inner.get_integration(integration_id)

    async def create_integration(
        self, body: lt.IntegrationWrite, *, idempotency_key: str | None = None
    ) -> lt.LiveIntegration:
        return await self.inner.create_integration(body, idempotency_key=idempotency_key)

    async def put_integration(
        self, integration_id: str, body: lt.IntegrationWrite, *, if_match: str | None = None
    ) -> lt.LiveIntegration:
        return await self.inner.put_integration(integration_id, body, if_match=if_match)

    async def delete_integration(
        self, integration_id: str, *, if_match: str | None = None
    ) -> None:
        await self.inner.delete_integration(integration_id, if_match=if_match)

    async def list_slots(self, bot_id: str) -> list[lt.LiveSlot]:
        return await self.inner.list_slots(bot_id)

    async def get_slot(self, slot_id: str) -> lt.LiveSlot:
        return await self.inner.get_slot(slot_id)

    async def put_slot(
        self, slot_id: str, body: lt.SlotWrite, *, if_match: str | None = None,
        create_only: bool = False,
    ) -> tuple[lt.LiveSlot, str | None]:
        return await self.inner.put_slot(slot_id, body, if_match=if_match,
                                         create_only=create_only)

    async def delete_slot(self, slot_id: str, *, if_match: str | None = None) -> None:
        await self.inner.delete_slot(slot_id, if_match=if_match)

    async def get_context(self, bot_id: str) -> lt.LiveContext:
        return await self.inner.get_context(bot_id)

    async def patch_context(
        self, bot_id: str, changes: Mapping[str, lt.ContextEntry | None], *, if_match: str
    ) -> lt.LiveContext:
        return await self.inner.patch_context(bot_id, changes, if_match=if_match)

    async def start_retrain(self, bot_id: str) -> lt.RetrainJob:
        return await self.inner.start_retrain(bot_id)

    async def get_job(self, job_id: str) -> lt.RetrainJob:
        return await self.inner.get_job(job_id)

    async def get_extraction_metrics(
        self, bot_id: str, slot_id: str, *, time_range: str = "last24h"
    ) -> lt.ExtractionMetrics:
        return await self.inner.get_extraction_metrics(bot_id, slot_id, time_range=time_range)

    async def list_entities(self, bot_id: str) -> list[lt.Entity]:
        return await self.inner.list_entities(bot_id)

    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        return await self.inner.start_simulation(body)

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        return await self.inner.get_simulation(simulation_id)

    async def get_session_variables(
        self, session_id: str, *, name: str | None = None, scope: str | None = None,
        include_system: bool = False,
    ) -> list[lt.SessionVariable]:
        return await self.inner.get_session_variables(
            session_id, name=name, scope=scope, include_system=include_system
        )

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        return await self.inner.get_conversation_context(conversation_id)

    async def patch_conversation_context(
        self, conversation_id: str, context: Mapping[str, lt.Json], *, if_match: str | None
    ) -> lt.ConversationContext:
        return await self.inner.patch_conversation_context(
            conversation_id, context, if_match=if_match
        )


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
