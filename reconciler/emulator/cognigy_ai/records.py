"""What the emulated Cognigy.AI tenant stores, all JSON-serialisable pydantic records.

Resources are ``Doc``s: ``body`` is the object exactly as the API answers it (with ``_id``
and the entity meta), the other fields are the emulator's own bookkeeping (owner, parent,
secrets, chart links, intent examples). Tasks keep the clock reading they were created at;
their status is derived from the clock, so a state saved to disk behaves the same after a
restart. Timestamps in bodies are Unix seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from reconciler.emulator.platform.records import FaultConfig

__all__ = ["Doc", "FaultConfig", "LogEntry", "SessionRecord", "Settings", "TaskRecord"]

Kind = Literal[
    "project", "locale", "flow", "slotfiller", "lexicon", "lexiconslot", "lexiconentry",
    "chartnode", "connection", "intent", "playbook", "run", "snapshot", "profile",
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Settings(Record):
    """Tenant settings (fixture ``settings``); durations in seconds."""

    rateLimitRequests: int = Field(default=1000, ge=1)
    rateLimitWindowSeconds: float = Field(default=300.0, gt=0)
    taskQueueSeconds: float = Field(default=0.5, ge=0)
    trainingSeconds: float = Field(default=3.0, ge=0)
    playbookSeconds: float = Field(default=1.0, ge=0)
    snapshotSeconds: float = Field(default=1.0, ge=0)
    maxBodyBytes: int = Field(default=60 * 1024, ge=1)
    contextLimitBytes: int = Field(default=65 * 1024, ge=1)
    maxSnapshotsPerProject: int = Field(default=10, ge=1)
    maxPlaybookSteps: int = Field(default=50, ge=1)
    unauthorizedStatus: Literal[401, 500] = 401
    latencyMs: int = Field(default=0, ge=0)


class Doc(Record):
    kind: Kind
    projectId: str = ""
    parent: str = ""
    body: dict[str, JsonValue]
    # Write-only connection fields, in clear.
    secret: dict[str, JsonValue] = Field(default_factory=dict)
    # Chart links of a node: the node after it and its children, by _id.
    next: str | None = None
    children: list[str] = Field(default_factory=list)
    # Intents: example sentences and the answer the flow gives; flows: labelled utterances.
    examples: list[str] = Field(default_factory=list)
    response: str = ""
    utterances: list[dict[str, JsonValue]] = Field(default_factory=list)
    # Flows: the tenant sequence number of the last write that made training out of date.
    dirty: int = 0
    # Snapshots: the project's resources when it was taken (``Doc`` dumps).
    content: list[dict[str, JsonValue]] = Field(default_factory=list)


class TaskRecord(Record):
    """An asynchronous task: ``queued`` for ``queueSeconds`` after ``createdAt``, then
    ``active`` for ``runSeconds``, then ``done`` (or ``error`` when ``failReason`` is set).
    ``payload`` is what the task commits when it finishes (``settled``)."""

    id: str
    projectId: str
    type: str
    createdAt: float
    queueSeconds: float
    runSeconds: float
    createdBy: str
    parameters: dict[str, JsonValue] = Field(default_factory=dict)
    data: dict[str, JsonValue] = Field(default_factory=dict)
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    failReason: str = ""
    cancelledAt: float | None = None
    settled: bool = False


class SessionRecord(Record):
    sessionId: str
    userId: str = ""
    projectId: str = ""
    context: dict[str, JsonValue] = Field(default_factory=dict)
    state: str = "default"
    lastChanged: int = 0


class LogEntry(Record):
    ts: str
    method: str
    path: str
    status: int | None
    client: str
    userId: str | None
    fault: str | None
