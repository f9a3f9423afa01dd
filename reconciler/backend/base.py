"""The ``Backend`` interface the core and the commands talk to.

One implementation (``reconciler.backend.client.PlatformBackend``) speaks the Platform API
contract of ``shared/cognigy-api.md`` over httpx; a second one for Cognigy.AI's own v2.0 REST
API can be added without touching the core. Every method raises only
``reconciler.errors.BackendError`` subclasses. List methods return every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.core import livetypes as lt

READ_SCOPES: frozenset[str] = frozenset({"cognigy:platform:read"})


@dataclass(frozen=True)
class RequestEvent:
    """One HTTP attempt, as observers see it (one event per attempt, retries included).

    ``path`` is the request path without the query string (ids kept). ``status`` is None
    exactly when no HTTP answer arrived. ``error`` is None on success, the status (``"503"``)
    for an error answer, the exception's class (``"ReadTimeout"``) when no answer came.
    ``retried`` is true for every attempt after the first; ``rate_limited`` for a 429.
    """

    method: str
    path: str
    status: int | None
    seconds: float
    attempt: int
    retried: bool
    rate_limited: bool
    error: str | None


class RequestObserver(Protocol):
    def on_request(self, event: RequestEvent) -> None: ...


class Backend(Protocol):
    async def aclose(self) -> None: ...

    # bots
    async def list_bots(self) -> list[lt.Bot]: ...
    async def get_bot(self, bot_id: str) -> lt.Bot: ...

    # integrations
    async def list_integrations(self, bot_id: str) -> list[lt.LiveIntegration]: ...
    async def get_integration(self, integration_id: str) -> lt.LiveIntegration: ...
    async def create_integration(
        self, body: lt.IntegrationWrite, *, idempotency_key: str | None = None
    ) -> lt.LiveIntegration: ...
    async def put_integration(
        self, integration_id: str, body: lt.IntegrationWrite, *, if_match: str | None = None
    ) -> lt.LiveIntegration: ...
    async def delete_integration(
        self, integration_id: str, *, if_match: str | None = None
    ) -> None: ...

    # slots
    async def list_slots(self, bot_id: str) -> list[lt.LiveSlot]: ...
    async def get_slot(self, slot_id: str) -> lt.LiveSlot: ...
    async def put_slot(
        self,
        slot_id: str,
        body: lt.SlotWrite,
        *,
        if_match: str | None = None,
        create_only: bool = False,
    ) -> tuple[lt.LiveSlot, str | None]:
        """Upsert; returns the stored slot and the ``X-Retrain-Job`` id, if any."""
        ...

    async def delete_slot(self, slot_id: str, *, if_match: str | None = None) -> None: ...

    # context defaults
    async def get_context(self, bot_id: str) -> lt.LiveContext: ...
    async def patch_context(
        self,
        bot_id: str,
        changes: Mapping[str, lt.ContextEntry | None],
        *,
        if_match: str,
    ) -> lt.LiveContext: ...

    # retraining and metrics
    async def start_retrain(self, bot_id: str) -> lt.RetrainJob: ...
    async def get_job(self, job_id: str) -> lt.RetrainJob: ...
    async def get_extraction_metrics(
        self, bot_id: str, slot_id: str, *, time_range: str = "last24h"
    ) -> lt.ExtractionMetrics:
        """Raises ``MetricsNotReadyError`` while no model was trained since the slot changed."""
        ...

    # simulations
    async def list_entities(self, bot_id: str) -> list[lt.Entity]: ...
    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        """Returns the simulation id."""
        ...

    async def get_simulation(self, simulation_id: str) -> lt.Simulation: ...

    # sessions and conversations
    async def get_session_variables(
        self,
        session_id: str,
        *,
        name: str | None = None,
        scope: str | None = None,
        include_system: bool = False,
    ) -> list[lt.SessionVariable]: ...
    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext: ...
    async def patch_conversation_context(
        self,
        conversation_id: str,
        context: Mapping[str, lt.Json],
        *,
        if_match: str | None,
    ) -> lt.ConversationContext: ...
