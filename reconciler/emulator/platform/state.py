"""``TenantState``: the whole emulated tenant, JSON-serialisable, seeded from a fixture.

Invariants: the fixture the state was seeded from travels with it, so ``reset()`` works after
``load()``; ``seq`` only grows, and every version handed out comes from it; objects are keyed
by their ids. Time-dependent parts hold clock readings, never running tasks.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pydantic import Field, ValidationError

from reconciler import errors, fileio, jsontypes
from reconciler.emulator.platform import checks, fixtures, records, wire

# Bounds that keep a saved state small however long a tenant lives (oldest dropped first).
MAX_LOG_ENTRIES = 20_000
MAX_IDEMPOTENCY_KEYS = 10_000


# A saved state holds a whole tenant; past this it is not one we wrote.
MAX_STATE_BYTES = 512 * 1024 * 1024

class TenantState(records.Record):
    fixture: fixtures.Fixture
    settings: records.Settings = Field(default_factory=records.Settings)
    seq: int = 0
    clients: dict[str, records.ClientRecord] = Field(default_factory=dict)
    bots: dict[str, records.BotRecord] = Field(default_factory=dict)
    integrations: dict[str, records.IntegrationRecord] = Field(default_factory=dict)
    slots: dict[str, records.SlotRecord] = Field(default_factory=dict)
    contexts: dict[str, records.BotContextRecord] = Field(default_factory=dict)
    conversations: dict[str, records.ConversationRecord] = Field(default_factory=dict)
    sessions: dict[str, records.SessionRecord] = Field(default_factory=dict)
    jobs: dict[str, records.JobRecord] = Field(default_factory=dict)
    simulations: dict[str, records.SimulationRecord] = Field(default_factory=dict)
    tokens: dict[str, records.TokenRecord] = Field(default_factory=dict)
    idempotency: dict[str, records.IdempotencyRecord] = Field(default_factory=dict)
    hits: dict[str, list[float]] = Field(default_factory=dict)
    faults: records.FaultConfig = Field(default_factory=records.FaultConfig)
    requests: list[records.LogEntry] = Field(default_factory=list)

    @classmethod
    def from_fixture(cls, path: Path) -> TenantState:
        """YAML fixture -> state; a bad fixture is a ``ConfigError`` naming file and field."""
        return cls.from_fixture_model(fixtures.read(path), source=str(path))

    @classmethod
    def from_fixture_model(cls, fixture: fixtures.Fixture, *, source: str) -> TenantState:
        state = cls(fixture=fixture)
        state.reset(source=source)
        return state

    @classmethod
    def load(cls, path: Path) -> TenantState:
        """A state saved by ``save``; a missing or damaged file is a ``ConfigError``."""
        try:
            text = fileio.read_bounded(path, MAX_STATE_BYTES)
        except OSError as exc:
            raise errors.ConfigError(f"{path}: cannot read the state: {exc.strerror}") from None
        try:
            return cls.model_validate(jsontypes.loads(text))
        except (ValidationError, jsontypes.JsonError) as exc:
            count = exc.error_count() if isinstance(exc, ValidationError) else 1
            raise errors.ConfigError(
                f"{path}: not a saved emulator state ({count} problem(s))",
                hint="delete it to start again from the fixture",
            ) from None

    def save(self, path: Path) -> None:
        """Atomic (``fileio.write_atomic``); the file is private (0600): it holds the OAuth
        clients' secrets of the fixture (integration secrets only as their hashes)."""
        fileio.write_atomic(path, self.model_dump_json(), mode=fileio.PRIVATE_MODE)

    def next_version(self) -> str:
        self.seq += 1
        return str(self.seq)

    def reset(self, *, source: str = "fixture") -> None:
        """Back to the fixture. Tokens and the request log survive; everything else goes."""
        fixture = self.fixture
        self.settings = fixture.settings.model_copy(deep=True)
        for name in ("clients", "bots", "integrations", "slots", "contexts", "conversations",
                     "sessions", "jobs", "simulations", "idempotency", "hits"):
            getattr(self, name).clear()
        self.faults = records.FaultConfig()
        for w, workspace in enumerate(fixture.workspaces):
            for client in workspace.clients:
                self.clients[client.clientId] = client.model_copy(
                    update={"workspaceId": workspace.id}, deep=True
                )
            for b, bot in enumerate(workspace.bots):
                self._seed_bot(bot, workspace.id, f"{source}: workspaces[{w}].bots[{b}]")

    def _seed_bot(self, bot: fixtures.BotSpec, workspace_id: str, where: str) -> None:
        self.bots[bot.botId] = records.BotRecord(
            botId=bot.botId, name=bot.name or bot.botId, workspaceId=workspace_id,
            entities=bot.entities, flows=bot.flows, intents=bot.intents,
            utterances=bot.utterances,
        ).model_copy(deep=True)
        for session in bot.sessions:
            self.sessions[session.sessionId] = records.SessionRecord(
                sessionId=session.sessionId, botId=bot.botId,
                variables=session.variable_records(),
            )
        for conv in bot.conversations:
            self.conversations[conv.conversationId] = records.ConversationRecord(
                conversationId=conv.conversationId, botId=bot.botId,
                contextVersion=self.next_version(), context=dict(conv.context),
            )
        self.contexts[bot.botId] = records.BotContextRecord(
            contextVersion=self.next_version(),
            context={k: v.model_copy() for k, v in bot.context.items()},
        )
        try:
            self._seed_slots(bot)
            self._seed_integrations(bot)
        except wire.ApiError as exc:
            raise errors.ConfigError(f"{where}: {exc.message}") from None

    def _seed_slots(self, bot: fixtures.BotSpec) -> None:
        ids = {seed.name: seed.slotId or f"slot_{bot.botId}_{seed.name}" for seed in bot.slots}
        for seed in bot.slots:
            deps = [ids.get(name, name) for name in seed.dependencies]
            body = checks.parse_slot(_seed_body(seed, bot.botId, deps))
            self.slots[ids[seed.name]] = records.SlotRecord(
                slotId=ids[seed.name], botId=bot.botId, name=body.name, type=body.type,
                patterns=body.patterns, fillStrategy=body.fillStrategy,
                dependencies=body.dependencies, labels=body.labels,
                version=self.next_version(), updatedAt=wire.timestamp(0),
            )
        for seed in bot.slots:
            slot = self.slots[ids[seed.name]]
            try:
                checks.check_dependencies(slot.slotId, bot.botId, slot.dependencies, self.slots)
            except wire.ApiError as exc:
                raise wire.invalid(f"slots.{seed.name}", exc.message) from None

    def _seed_integrations(self, bot: fixtures.BotSpec) -> None:
        names: set[str] = set()
        for seed in bot.integrations:
            if seed.name in names:
                raise wire.invalid("integrations", f"name {seed.name!r} is used twice")
            names.add(seed.name)
            body = checks.parse_integration({
                "bot_id": bot.botId, "name": seed.name, "description": seed.description,
                "status": seed.status, "labels": seed.labels, "config": seed.config,
            })
            ident = seed.id or f"int_{uuid.uuid5(uuid.NAMESPACE_URL, bot.botId + '/' + seed.name)}"
            self.integrations[ident] = records.IntegrationRecord(
                id=ident, bot_id=bot.botId, name=body.name, description=body.description,
                status=body.status, labels=body.labels, config=body.stored_config(),
                secret_sha256=records.secret_fingerprint(ident, body.config.auth_secret),
                created_at=wire.timestamp(0),
                updated_at=wire.timestamp(0), version=self.next_version(),
            )

    def remember(self, key: str, record: records.IdempotencyRecord) -> None:
        self.idempotency[key] = record
        while len(self.idempotency) > MAX_IDEMPOTENCY_KEYS:
            del self.idempotency[next(iter(self.idempotency))]

    def log(self, entry: records.LogEntry) -> None:
        self.requests.append(entry)
        if len(self.requests) > MAX_LOG_ENTRIES:
            del self.requests[: len(self.requests) - MAX_LOG_ENTRIES]


def _seed_body(seed: fixtures.SlotSeed, bot_id: str, deps: list[str]) -> dict[str, object]:
    return {
        "botId": bot_id, "name": seed.name, "type": seed.type, "patterns": seed.patterns,
        "fillStrategy": seed.fillStrategy, "dependencies": deps, "labels": seed.labels,
    }
