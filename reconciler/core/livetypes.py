"""Live objects as the Platform API answers them (``shared/cognigy-api.md``), as TypedDicts.

These are wire shapes, shared by the core (which normalizes and diffs them) and the backend
(which fetches them). No behaviour lives here.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from typing_extensions import NotRequired

from reconciler.jsontypes import Json as Json
from reconciler.jsontypes import JsonScalar as JsonScalar


class Bot(TypedDict):
    botId: str
    name: str
    workspaceId: str


class IntegrationConfig(TypedDict, total=False):
    url: str
    method: str
    auth_type: str
    auth_header_name: str | None
    headers: dict[str, str]
    request_mapping: dict[str, Json]
    response_mapping: dict[str, Json]
    timeout_seconds: int
    # Write-only, never in reads: a value sets the secret, null removes it, absent keeps it.
    auth_secret: str | None


class LiveIntegration(TypedDict):
    id: str
    bot_id: str
    name: str
    description: str
    status: Literal["ACTIVE", "INACTIVE"]
    labels: dict[str, str]
    config: IntegrationConfig
    auth_secret_sha256: str | None
    created_at: str
    updated_at: str
    version: str


class IntegrationWrite(TypedDict):
    """Body of POST/PUT /api/v1/integrations."""

    bot_id: str
    name: str
    description: str
    status: Literal["ACTIVE", "INACTIVE"]
    labels: dict[str, str]
    config: IntegrationConfig


class LiveSlot(TypedDict):
    slotId: str
    botId: str
    name: str
    type: Literal["regex", "keyphrase"]
    patterns: list[str]
    fillStrategy: str
    dependencies: list[str]  # slot ids
    labels: dict[str, str]
    version: str
    updatedAt: str


class SlotWrite(TypedDict):
    """Body of PUT /api/v1/slots/{slotId}."""

    botId: str
    name: str
    type: Literal["regex", "keyphrase"]
    patterns: list[str]
    fillStrategy: str
    dependencies: list[str]  # slot ids
    triggerRetrain: bool
    labels: dict[str, str]


class ContextEntry(TypedDict):
    value: Json
    scope: str


class LiveContext(TypedDict):
    botId: str
    contextVersion: str
    context: dict[str, ContextEntry]


class RetrainJob(TypedDict):
    jobId: str
    status: Literal["queued", "running", "succeeded", "failed"]
    botId: NotRequired[str]
    progress: NotRequired[float]
    modelVersion: NotRequired[str | None]
    error: NotRequired[str | None]
    startedAt: NotRequired[str | None]
    finishedAt: NotRequired[str | None]


class ExtractionMetrics(TypedDict):
    slotId: str
    successRate: float
    sampleSize: int
    modelVersion: str
    timeRange: str


class Entity(TypedDict):
    name: str
    type: str


class SimulationRequest(TypedDict):
    botId: str
    userId: str
    platform: str
    input: dict[str, str]
    context: dict[str, Json]
    testId: str


class SimulationTurn(TypedDict):
    turnIndex: int
    flowId: str | None
    intent: str | None
    entities: dict[str, Json]
    response: str | None
    errorCode: str | None
    errorMessage: str | None


class Simulation(TypedDict):
    simulationId: str
    testId: str
    status: Literal["queued", "running", "completed", "failed"]
    turns: list[SimulationTurn]


class SessionVariable(TypedDict):
    name: str
    value: str
    scope: Literal["global", "bot", "session", "user"]
    type: str


class ConversationContext(TypedDict):
    conversationId: str
    contextVersion: str
    context: dict[str, Json]
