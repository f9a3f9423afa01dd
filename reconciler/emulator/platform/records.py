"""What the emulated tenant stores: one pydantic model per kind of record, all JSON-serialisable.

Invariants: every live object carries an opaque ``version`` (a decimal string from the
tenant's sequence) that changes on every write; time-dependent records (tokens, jobs,
simulations) keep the clock reading they started at, and their status is derived from the
clock when asked, so a state saved to disk and loaded in another process behaves the same.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

Scope = Literal["global", "bot", "session", "user"]
ContextScope = Literal["global", "conversation", "user", "session"]
FillStrategy = Literal["bestMatch", "firstMatch", "strict", "fuzzy"]
SlotType = Literal["regex", "keyphrase"]


class Record(BaseModel):
    """Base of stored records: mutable, unknown keys refused when a saved state is loaded."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Settings(Record):
    rateLimitPerMinute: int = Field(default=100, ge=1)
    rateLimitWindow: Literal["fixed", "sliding"] = "fixed"
    tokenTtlSeconds: float = Field(default=3600.0, gt=0)
    trainingSeconds: float = Field(default=3.0, ge=0)
    simulationSeconds: float = Field(default=0.2, ge=0)
    latencyMs: int = Field(default=0, ge=0)
    # How a 429 says when to come back: delta-seconds ("30") or an HTTP-date (RFC 9110 10.2.3).
    retryAfter: Literal["seconds", "http-date"] = "seconds"


class ClientRecord(Record):
    clientId: str = Field(min_length=1)
    clientSecret: str = Field(min_length=1)
    scopes: list[str] = Field(default_factory=list)
    workspaceId: str = ""


class EntityRecord(Record):
    name: str = Field(min_length=1)
    type: str = "keyword"
    values: list[str] = Field(default_factory=list)


class FlowRecord(Record):
    flowId: str = Field(min_length=1)
    name: str | None = None
    deployed: bool = True


class IntentRecord(Record):
    name: str = Field(min_length=1)
    flowId: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)
    response: str = ""


class UtteranceRecord(Record):
    text: str
    slots: dict[str, str] = Field(default_factory=dict)


class VariableRecord(Record):
    name: str = Field(min_length=1)
    value: JsonValue = None
    scope: Scope = "session"
    type: str | None = None


class SessionRecord(Record):
    sessionId: str
    botId: str
    variables: list[VariableRecord] = Field(default_factory=list)


class ConversationRecord(Record):
    conversationId: str
    botId: str
    contextVersion: str
    context: dict[str, JsonValue] = Field(default_factory=dict)


class SlotRecord(Record):
    slotId: str
    botId: str
    name: str
    type: SlotType
    patterns: list[str]
    fillStrategy: FillStrategy
    dependencies: list[str]
    labels: dict[str, str]
    version: str
    updatedAt: str


def secret_fingerprint(ident: str, secret: str | None) -> str | None:
    """What the contract answers for a stored secret: hex SHA-256 of ``"<id>:<secret>"``."""
    if secret is None:
        return None
    return hashlib.sha256(f"{ident}:{secret}".encode()).hexdigest()


class IntegrationRecord(Record):
    """``config`` holds the validated config without the secret. The secret itself is never
    kept (not in memory, not in a saved state file): only ``secret_sha256``, which is all
    the contract ever answers. A state saved before this rule (``secret``) is read by
    hashing the secret it holds."""

    id: str
    bot_id: str
    name: str
    description: str
    status: Literal["ACTIVE", "INACTIVE"]
    labels: dict[str, str]
    config: dict[str, JsonValue]
    secret_sha256: str | None = None
    created_at: str
    updated_at: str
    version: str

    @model_validator(mode="before")
    @classmethod
    def _hash_a_kept_secret(cls, data: object) -> object:
        if isinstance(data, dict) and "secret" in data:
            data = dict(data)
            secret = data.pop("secret")
            data["secret_sha256"] = secret_fingerprint(
                str(data.get("id", "")), secret if isinstance(secret, str) else None)
        return data


class ContextEntryRecord(Record):
    value: JsonValue = None
    scope: ContextScope = "global"


class BotContextRecord(Record):
    contextVersion: str
    context: dict[str, ContextEntryRecord] = Field(default_factory=dict)


class BotRecord(Record):
    """A bot: fixture-given parts plus its trained model (``model`` is None until trained)."""

    botId: str
    name: str
    workspaceId: str
    entities: list[EntityRecord] = Field(default_factory=list)
    flows: list[FlowRecord] = Field(default_factory=list)
    intents: list[IntentRecord] = Field(default_factory=list)
    utterances: list[UtteranceRecord] = Field(default_factory=list)
    modelVersion: str | None = None
    model: list[SlotRecord] | None = None


class JobRecord(Record):
    """A retraining job. ``snapshot`` is the bot's slots when training started: it is refreshed
    while the job is still queued, then frozen. ``settled`` is set once the outcome (model
    version or error) has been committed to the bot."""

    jobId: str
    botId: str
    createdAt: float
    queueSeconds: float
    trainingSeconds: float
    snapshot: list[SlotRecord]
    modelVersion: str
    settled: bool = False
    error: str | None = None


class SimulationRecord(Record):
    """A simulation: its turns are computed when it is submitted and shown once completed."""

    simulationId: str
    testId: str
    botId: str
    createdAt: float
    stepSeconds: float
    turns: list[dict[str, JsonValue]]


class TokenRecord(Record):
    clientId: str
    scopes: list[str]
    expiresAt: float


class IdempotencyRecord(Record):
    bodyHash: str
    status: int
    body: JsonValue = None
    headers: dict[str, str] = Field(default_factory=dict)


class FaultConfig(Record):
    """Injected faults: ``sequence`` is consumed first (``None`` = no fault), then ``rate``."""

    rate: float = Field(default=0.0, ge=0, le=1)
    kinds: list[Literal["429", "500", "502", "503", "504", "timeout", "reset",
                        "commit-then-503"]] = Field(default_factory=list)
    seed: int = 0
    timeoutSeconds: float = Field(default=30.0, ge=0, le=600)
    sequence: list[Literal["429", "500", "502", "503", "504", "timeout", "reset",
                           "commit-then-503"] | None] = Field(default_factory=list)
    drawn: int = 0


class LogEntry(Record):
    ts: str
    method: str
    path: str
    status: int | None
    clientId: str | None
    idempotencyKey: str | None
    fault: str | None
