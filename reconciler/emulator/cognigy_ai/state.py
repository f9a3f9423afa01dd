"""``TenantState``: the whole emulated Cognigy.AI tenant, JSON-serialisable, seeded from a
fixture, with the document store every resource module uses.

Invariants: ``seq`` only grows and every ``_id`` the emulator hands out comes from it (24 hex
digits); ``lastChanged`` of an object moves forward on every write to it (at least one second
past its previous value, so two writes in the same clock second still differ); the fixture
travels with the state, so ``reset()`` works after ``load()``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

from pydantic import Field, JsonValue, ValidationError

from reconciler import errors, fileio
from reconciler.emulator.cognigy_ai import fixtures, records, wire
from reconciler.emulator.cognigy_ai.records import Doc
from reconciler.emulator.platform import state as platform_state

MAX_LOG_ENTRIES = 20_000
ID_PREFIX = 0x65F0C0FFEE
DEFAULT_PROFILE_SCHEMA: list[dict[str, JsonValue]] = [
    {"field": "First Name", "internal": "firstname", "type": "string"},
    {"field": "Last Name", "internal": "lastname", "type": "string"},
    {"field": "E-Mail", "internal": "email", "type": "string"},
    {"field": "Goals", "internal": "goals", "type": "object"},
]


class TenantState(records.Record):
    fixture: fixtures.Fixture
    settings: records.Settings = Field(default_factory=records.Settings)
    seq: int = 0
    docs: dict[str, Doc] = Field(default_factory=dict)
    tasks: dict[str, records.TaskRecord] = Field(default_factory=dict)
    sessions: dict[str, records.SessionRecord] = Field(default_factory=dict)
    profileSchemas: dict[str, list[dict[str, JsonValue]]] = Field(default_factory=dict)
    hits: dict[str, list[float]] = Field(default_factory=dict)
    faults: records.FaultConfig = Field(default_factory=records.FaultConfig)
    requests: list[records.LogEntry] = Field(default_factory=list)

    @classmethod
    def from_fixture(cls, path: Path) -> TenantState:
        return cls.from_fixture_model(fixtures.read(path), source=str(path))

    @classmethod
    def from_fixture_model(cls, fixture: fixtures.Fixture, *,
                           source: str = "fixture") -> TenantState:
        state = cls(fixture=fixture)
        state.reset(source=source)
        return state

    @classmethod
    def load(cls, path: Path) -> TenantState:
        try:
            text = fileio.read_bounded(path, platform_state.MAX_STATE_BYTES)
        except OSError as exc:
            raise errors.ConfigError(f"{path}: cannot read the state: {exc.strerror}") from None
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise errors.ConfigError(
                f"{path}: not a saved Cognigy.AI emulator state "
                f"({exc.error_count()} problem(s))",
                hint="delete it to start again from the fixture") from None

    def save(self, path: Path) -> None:
        fileio.write_atomic(path, self.model_dump_json(), mode=fileio.PRIVATE_MODE)

    # -- ids, users ------------------------------------------------------------------------

    def new_id(self) -> str:
        self.seq += 1
        return f"{ID_PREFIX:010x}{self.seq:014x}"

    def user_of_key(self, key: str) -> str | None:
        for spec in self.fixture.apiKeys:
            if spec.key == key:
                return spec.userId
        return None

    def user(self, user_id: str) -> dict[str, JsonValue]:
        spec = next((u for u in self.fixture.users if u.id == user_id), None)
        name = spec.name if spec and spec.name else "cogctl"
        email = spec.email if spec and spec.email else f"{user_id}@example.com"
        return {"_id": user_id, "id": email, "name": name, "email": email,
                "organisation": f"{ID_PREFIX:010x}{0:014x}", "roles": ["projectManager"],
                "projects": [d.body["_id"] for d in self.of_kind("project")],
                "acceptedTOS": True, "disabled": False, "createdAt": 0, "lastChanged": 0,
                "createdBy": user_id, "lastChangedBy": user_id}

    # -- the document store ----------------------------------------------------------------

    def of_kind(self, kind: str, *, project: str | None = None,
                parent: str | None = None) -> Iterator[Doc]:
        for doc in self.docs.values():
            if doc.kind != kind:
                continue
            if project is not None and doc.projectId != project:
                continue
            if parent is not None and doc.parent != parent:
                continue
            yield doc

    def get(self, kind: str, ident: str, what: str, *, parent: str | None = None) -> Doc:
        doc = self.docs.get(ident)
        if doc is None or doc.kind != kind or (parent is not None and doc.parent != parent):
            raise wire.not_found(what, ident)
        return doc

    def add(self, kind: records.Kind, body: dict[str, JsonValue], *, project: str = "",
            parent: str = "", user: str, now: float, meta: bool = True,
            ident: str | None = None) -> Doc:
        mongo_id = ident or self.new_id()
        stamp = int(now)
        head: dict[str, JsonValue] = {"_id": mongo_id}
        full = {**head, **body}
        if meta:
            full.update({"createdAt": stamp, "lastChanged": stamp, "createdBy": user,
                         "lastChangedBy": user})
        doc = Doc(kind=kind, projectId=project, parent=parent, body=full)
        self.docs[mongo_id] = doc
        return doc

    def touch(self, doc: Doc, user: str, now: float) -> None:
        """Record a write: ``lastChanged`` moves forward, ``lastChangedBy`` is the writer."""
        if "lastChanged" not in doc.body:
            return
        previous = doc.body["lastChanged"]
        last = previous if isinstance(previous, int) else 0
        doc.body["lastChanged"] = max(int(now), last + 1)
        doc.body["lastChangedBy"] = user

    def remove(self, ident: str) -> None:
        self.docs.pop(ident, None)

    # -- seeding ---------------------------------------------------------------------------

    def reset(self, *, source: str = "fixture") -> None:
        """Back to the fixture; the request log survives."""
        fixture = self.fixture
        self.settings = fixture.settings.model_copy(deep=True)
        self.seq = 0
        for table in (self.docs, self.tasks, self.sessions, self.profileSchemas, self.hits):
            table.clear()
        self.faults = records.FaultConfig()
        user = fixture.apiKeys[0].userId
        for p, project in enumerate(fixture.projects):
            try:
                self._seed_project(project, user)
            except wire.ApiError as exc:
                raise errors.ConfigError(f"{source}: projects[{p}]: {exc.detail}") from None

    def _seed_project(self, spec: fixtures.ProjectSpec, user: str) -> None:
        from reconciler.emulator.cognigy_ai import resources  # the flow defaults live there

        project_id = spec.id or self.new_id()
        self._claim(project_id)
        locales = [self.add("locale", {
            "referenceId": wire.reference_id(loc.id or f"{project_id}/{loc.name}"),
            "name": loc.name, "primary": loc.primary, "nluLanguage": loc.nluLanguage,
            "fallbackLocaleReference": "",
        }, project=project_id, user=user, now=0, ident=self._claim(loc.id))
            for loc in spec.locales]
        if not locales:
            raise wire.invalid("locales", "a project needs at least one locale")
        primary = next((d for d in locales if d.body["primary"]), locales[0])
        primary.body["primary"] = True
        self.add("project", {"color": "blue", "name": spec.name,
                             "primaryLocaleReference": primary.body["_id"],
                             "liveAgentDefaultInbox": 0},
                 user=user, now=0, ident=project_id, project=project_id)
        for f, flow in enumerate(spec.flows):
            doc = resources.new_flow(self, project_id, {
                "name": flow.name, "description": flow.description,
                "context": copy.deepcopy(flow.context)}, user, 0, ident=self._claim(flow.id))
            doc.utterances = [u.model_dump() for u in flow.utterances]
            for intent in flow.intents:
                added = self.add("intent", {
                    "name": intent.name, "description": intent.description, "tags": [],
                    "isRejectIntent": False, "isDisabled": False,
                    "localeReference": primary.body["_id"], "parentIntentId": "",
                    "feedbackReport": {"findings": [], "info": {"fScore": 0}},
                }, project=project_id, parent=str(doc.body["_id"]), user=user, now=0)
                added.body["referenceId"] = wire.reference_id(str(added.body["_id"]))
                added.examples = list(intent.examples)
                added.response = intent.response
            for s, filler in enumerate(flow.slotFillers):
                try:
                    resources.create_slot_filler(self, doc, filler, user, 0)
                except wire.ApiError as exc:
                    raise wire.invalid(f"flows[{f}].slotFillers[{s}]", exc.detail) from None
        for session in spec.sessions:
            self.sessions[session.sessionId] = records.SessionRecord(
                sessionId=session.sessionId, userId=session.userId, projectId=project_id,
                context=copy.deepcopy(session.context))
        for profile in spec.profiles:
            self.add("profile", {"profile": copy.deepcopy(profile.profile),
                                 "contactIds": list(profile.contactIds), "active": True,
                                 "projectId": project_id},
                     project=project_id, user=user, now=0, ident=self._claim(profile.id))
        self.profileSchemas[project_id] = copy.deepcopy(DEFAULT_PROFILE_SCHEMA)

    def _claim(self, ident: str | None) -> str:
        if ident is None:
            return self.new_id()
        if ident in self.docs:
            raise wire.invalid("_id", f"{ident} is used twice")
        return ident

    def log(self, entry: records.LogEntry) -> None:
        self.requests.append(entry)
        if len(self.requests) > MAX_LOG_ENTRIES:
            del self.requests[: len(self.requests) - MAX_LOG_ENTRIES]
