"""``CognigyAiBackend``: the ``Backend`` protocol over Cognigy.AI's v2.0 REST API.

The mapping is ``mapping``'s; this module does the I/O. Policy (``shared/cognigy-ai-v2.md``,
Decisions):

- Logical bots resolve once per run to a project, its flow and a locale, by ``_id``,
  ``referenceId`` or name (``cogctl.yaml``: ``bots: {LOGICAL: {project, flow, locale}}``).
- Reads: one slot-filler list per bot; a filler's full read only when its ``lastChanged``
  moved since cogctl recorded it (or cogctl never did); one flow read per bot for context.
- No ETag: right before each write the object is re-read and its version
  (``<_id>:<lastChanged>``) compared with the one the plan saw; a mismatch is a
  ``VersionConflictError`` (the engine then reports a conflict, or writes over it with
  ``--force``). Writes are partial PATCHes of what cogctl manages only.
- Creates are never repeated blindly: after a lost answer (5xx, no answer) the collection is
  listed again and an object of the same ``referenceId`` (uuid5 of its address) or name is
  adopted; only when there is none is the POST sent again (at most ``create_attempts``).
- cogctl's state is the context of the flow ``cogctl-state`` of each project, created on
  the first write; writes to it are serialised per project.
- Retraining is one train task for the bot's flow and locale, polled on ``/tasks``.

What this api does not serve yet (integrations, metrics, simulations, session variables,
conversation contexts) raises ``NotAvailableError``; ``validate`` refuses such manifests
for this api beforehand.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn
from urllib.parse import quote

from reconciler import errors
from reconciler.backend import base
from reconciler.backend.cognigy_ai import http, mapping
from reconciler.backend.httpkit import retrying, sending
from reconciler.core import livetypes as lt
from reconciler.manifests import projects

API_NAME = projects.API_COGNIGY_AI


class NotAvailableError(errors.BackendError):
    """A feature this api cannot answer (or cogctl does not map for it yet)."""


class MetricsNotAvailableError(NotAvailableError, errors.NotFoundError):
    """No extraction metrics on this api: a baseline read finds none (a ``NotFoundError``),
    and verify reports why instead of waiting for them."""


def _seg(value: str) -> str:
    return quote(value, safe="")


def not_available(what: str, hint: str = "") -> NoReturn:
    raise NotAvailableError(
        f"{what} is not available on api {API_NAME}",
        hint=hint or "run this command against an environment with api: platform")


@dataclasses.dataclass
class _Project:
    project_id: str
    flows: list[dict[str, Any]]
    locales: list[dict[str, Any]]
    state_flow_id: str | None
    state: dict[str, Any]
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)


@dataclasses.dataclass(frozen=True)
class _Bot:
    logical: str
    project: _Project
    flow_id: str
    locale_id: str


def _match(items: Sequence[Mapping[str, Any]], wanted: str, what: str, where: str,
           keys: tuple[str, ...]) -> dict[str, Any]:
    for key in keys[:-1]:
        for item in items:
            if item.get(key) == wanted:
                return dict(item)
    named = [dict(i) for i in items if i.get(keys[-1]) == wanted]
    if len(named) == 1:
        return named[0]
    known = ", ".join(sorted(str(i.get("name")) for i in items)[:10]) or "none"
    if named:
        raise errors.ConfigError(f"{what} {wanted!r} {where} is ambiguous: {len(named)} share "
                                 "that name", hint=f"name the {what} by its _id instead")
    raise errors.ConfigError(f"no {what} {wanted!r} {where} (known: {known})",
                             hint="check environments.<env>.bots in cogctl.yaml")


class CognigyAiBackend:
    """One tenant, one API key, one pacing bucket; bots resolved once per instance."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        bots: Mapping[str, projects.CognigyAiBot],
        api_prefix: str = projects.DEFAULT_AI_PREFIX,
        transport: sending.Transport | None = None,
        retry: retrying.RetryPolicy | None = None,
        limit_per_minute: int | None = None,
        observers: Sequence[base.RequestObserver] = (),
        create_attempts: int = 3,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http.Requester(
            base_url=self.base_url + api_prefix, api_key=api_key, transport=transport,
            retry=retry, limit_per_minute=limit_per_minute, observers=observers)
        self._mapping = dict(bots)
        self._create_attempts = max(1, create_attempts)
        self._resolving = asyncio.Lock()
        self._projects_list: list[dict[str, Any]] | None = None
        self._projects: dict[str, _Project] = {}
        self._bots: dict[str, _Bot] = {}
        self._slot_bot: dict[str, str] = {}  # slot id (filler _id or a plan's id) -> bot
        self._aliases: dict[str, str] = {}  # a plan's id of a slot to create -> its name
        self._job_project: dict[str, str] = {}

    @property
    def requests_sent(self) -> int:
        return self.http.sent

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> CognigyAiBackend:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- resolution -----------------------------------------------------------------------

    async def _bot(self, logical: str) -> _Bot:
        found = self._bots.get(logical)
        if found is not None:
            return found
        async with self._resolving:
            if logical not in self._bots:
                self._bots[logical] = await self._resolve(logical)
        return self._bots[logical]

    async def _resolve(self, logical: str) -> _Bot:
        where = self._mapping.get(logical)
        if where is None:
            known = ", ".join(sorted(self._mapping)) or "none"
            raise errors.ConfigError(
                f"bot {logical!r} is not mapped for api {API_NAME} (mapped: {known})",
                hint=f"add bots: {{{logical}: {{project, flow, locale}}}} to the environment")
        if self._projects_list is None:
            self._projects_list = await self.http.collect("/projects")
        project = _match(self._projects_list, where.project, "project", "on the tenant",
                         ("_id", "name"))
        project_id = str(project["_id"])
        state = self._projects.get(project_id) or await self._load_project(project_id)
        self._projects[project_id] = state
        name = project.get("name")
        flow = _match(state.flows, where.flow, "flow", f"in project {name!r}",
                      ("_id", "referenceId", "name"))
        if flow.get("name") == mapping.STATE_FLOW:
            raise errors.ConfigError(f"bot {logical!r} maps to cogctl's own state flow",
                                     hint="name the bot's entry flow")
        locale = _match(state.locales, where.locale, "locale", f"in project {name!r}",
                        ("_id", "referenceId", "name"))
        return _Bot(logical, state, str(flow["_id"]), str(locale["_id"]))

    async def _load_project(self, project_id: str) -> _Project:
        scope = {"projectId": project_id}
        flows, locales = await asyncio.gather(self.http.collect("/flows", scope),
                                              self.http.collect("/locales", scope))
        ours = [f for f in flows if f.get("name") == mapping.STATE_FLOW]
        state = mapping.empty_state()
        state_id = str(ours[0]["_id"]) if ours else None
        if state_id is not None:
            state = mapping.read_state((await self.http.get(f"/flows/{state_id}")).get("context"))
        return _Project(project_id, flows, locales, state_id, state)

    async def _save_state(self, project: _Project) -> None:
        """Write the project's state (caller holds ``project.lock``)."""
        body = {"context": project.state}
        if project.state_flow_id is not None:
            await self.http.request("PATCH", f"/flows/{project.state_flow_id}", json=body)
            return
        create = {"projectId": project.project_id, "name": mapping.STATE_FLOW,
                  "description": "cogctl's record of the objects it manages (do not edit)",
                  **body}

        async def _find() -> dict[str, Any] | None:
            flows = await self.http.collect("/flows", {"projectId": project.project_id,
                                                       "filter": mapping.STATE_FLOW})
            return next((f for f in flows if f.get("name") == mapping.STATE_FLOW), None)

        flow = await self._create("/flows", create, _find)
        project.state_flow_id = str(flow["_id"])
        if "context" not in flow or flow.get("context") != project.state:
            await self.http.request("PATCH", f"/flows/{project.state_flow_id}", json=body)

    async def _create(self, path: str, body: dict[str, Any],
                      find: Callable[[], Awaitable[dict[str, Any] | None]]) -> dict[str, Any]:
        """POST once; after a lost answer adopt what ``find`` finds, else POST again."""
        last: errors.BackendError | None = None
        for _ in range(self._create_attempts):
            try:
                answer = await self.http.request("POST", path, json=body)
                return http.expect_object(answer, "POST", path)
            except (errors.ServerError, errors.TransportError) as exc:
                last = exc
                found = await find()
                if found is not None:
                    return found
        assert last is not None
        raise last

    # --- bots -----------------------------------------------------------------------------

    async def list_bots(self) -> list[lt.Bot]:
        return [await self.get_bot(name) for name in sorted(self._mapping)]

    async def get_bot(self, bot_id: str) -> lt.Bot:
        bot = await self._bot(bot_id)
        return {"botId": bot.logical, "name": bot.logical, "workspaceId": bot.project.project_id}

    # --- slots ----------------------------------------------------------------------------

    def _fillers(self, bot: _Bot) -> str:
        return f"/flows/{bot.flow_id}/slotfillers"

    def _records(self, bot: _Bot) -> dict[str, Any]:
        objects: dict[str, Any] = bot.project.state["objects"]
        return objects

    async def list_slots(self, bot_id: str) -> list[lt.LiveSlot]:
        bot = await self._bot(bot_id)
        items = await self.http.collect(self._fillers(bot))
        records = self._records(bot)
        ids_by_name = {str(i.get("name")): str(i.get("_id")) for i in items}

        async def full(item: dict[str, Any]) -> dict[str, Any]:
            record = records.get(mapping.address(bot.logical, str(item.get("name"))))
            if (isinstance(record, dict) and record.get("_id") == item.get("_id")
                    and record.get("lastChanged") == item.get("lastChanged")
                    and isinstance(record.get("regex"), str)):
                return {**item, "regex": record["regex"], "contextKey": record.get("contextKey")}
            return await self.http.get(f"{self._fillers(bot)}/{_seg(str(item['_id']))}")

        fillers = await asyncio.gather(*(full(i) for i in items))
        slots = []
        for filler in fillers:
            self._slot_bot[str(filler.get("_id"))] = bot.logical
            record = records.get(mapping.address(bot.logical, str(filler.get("name"))))
            slots.append(mapping.live_slot(filler, record, bot=bot.logical,
                                           ids_by_name=ids_by_name))
        return slots

    async def _filler_of(self, slot_id: str) -> tuple[_Bot, dict[str, Any]]:
        """The bot and the full filler a slot id names (a filler ``_id`` or a plan's id)."""
        logical = self._slot_bot.get(slot_id)
        if logical is None:
            raise errors.NotFoundError(f"slot {slot_id} is not known on api {API_NAME}",
                                       method="GET", path=slot_id, status=404)
        bot = await self._bot(logical)
        name = self._aliases.get(slot_id)
        filler_id: str | None = slot_id
        if name is not None:
            items = await self.http.collect(self._fillers(bot), {"filter": name})
            filler_id = next((str(i["_id"]) for i in items if i.get("name") == name), None)
            if filler_id is None:
                raise errors.NotFoundError(f"slot {name!r} does not exist in the flow",
                                           method="GET", path=self._fillers(bot), status=404)
        return bot, await self.http.get(f"{self._fillers(bot)}/{_seg(str(filler_id))}")

    def _surface(self, bot: _Bot, filler: dict[str, Any]) -> lt.LiveSlot:
        record = self._records(bot).get(mapping.address(bot.logical, str(filler.get("name"))))
        names = {v: k for k, v in self._aliases.items()}
        ids_by_name = {**names, **{n: i for i, n in self._names(bot).items()}}
        return mapping.live_slot(filler, record, bot=bot.logical, ids_by_name=ids_by_name)

    def _names(self, bot: _Bot) -> dict[str, str]:
        """Filler ``_id`` -> slot name, of the slots cogctl has seen or recorded."""
        found = {str(r.get("_id")): addr.rsplit("/", 1)[-1]
                 for addr, r in self._records(bot).items()
                 if addr.startswith(f"Slot/{bot.logical}/") and isinstance(r, dict)}
        return found

    async def get_slot(self, slot_id: str) -> lt.LiveSlot:
        bot, filler = await self._filler_of(slot_id)
        return self._surface(bot, filler)

    def _dependency_names(self, bot: _Bot, ids: Sequence[str]) -> list[str]:
        names = {**self._names(bot), **self._aliases}
        return [names.get(i, i) for i in ids]

    async def put_slot(self, slot_id: str, body: lt.SlotWrite, *, if_match: str | None = None,
                       create_only: bool = False) -> tuple[lt.LiveSlot, str | None]:
        if body["type"] != "regex":
            not_available("a keyphrase Slot")
        bot = await self._bot(body["botId"])
        key = mapping.address(bot.logical, body["name"])
        self._slot_bot[slot_id] = bot.logical
        path = self._fillers(bot)
        if create_only:
            self._aliases.setdefault(slot_id, body["name"])
            filler = await self._create_filler(bot, key, body)
        else:
            _bot, current = await self._filler_of(slot_id)
            if if_match is not None and mapping.version_of(current) != if_match:
                raise errors.VersionConflictError(
                    f"PATCH {path}/{current.get('_id')}: slot filler {body['name']!r} changed "
                    "since the plan read it", method="PATCH", path=path, status=409,
                    current_version=mapping.version_of(current),
                    hint="run plan again (or apply --force to write over it)")
            filler = await self._patch_filler(bot, current, body)
        dependencies = self._dependency_names(bot, body["dependencies"])
        record = mapping.slot_record(filler, body, dependencies)
        async with bot.project.lock:
            self._records(bot)[key] = record
            await self._save_state(bot.project)
        self._slot_bot[str(filler["_id"])] = bot.logical
        return self._surface(bot, filler), None

    async def _create_filler(self, bot: _Bot, key: str, body: lt.SlotWrite) -> dict[str, Any]:
        path = self._fillers(bot)
        wanted = mapping.filler_write(body, key, create=True)

        async def _find() -> dict[str, Any] | None:
            items = await self.http.collect(path, {"filter": body["name"]})
            return next((i for i in items if i.get("referenceId") == wanted["referenceId"]
                         or i.get("name") == body["name"]), None)

        try:
            made = await self._create(path, wanted, _find)
        except errors.ConflictError as exc:
            raise errors.NameConflictError(
                f"POST {path}: a slot filler {body['name']!r} exists already", method="POST",
                path=path, status=409, hint="run plan again to adopt it") from exc
        filler = await self.http.get(f"{path}/{_seg(str(made['_id']))}")
        if any(filler.get(k) != v for k, v in mapping.filler_write(body, key, create=False)
               .items()):
            filler = await self._patch_filler(bot, filler, body)  # adopted a stale one
        return filler

    async def _patch_filler(self, bot: _Bot, current: dict[str, Any],
                            body: lt.SlotWrite) -> dict[str, Any]:
        path = f"{self._fillers(bot)}/{_seg(str(current['_id']))}"
        wanted = mapping.filler_write(body, "", create=False)
        patch = {k: v for k, v in wanted.items() if current.get(k) != v}
        if not patch:
            return current
        await self.http.request("PATCH", path, json=patch)
        return await self.http.get(path)

    async def delete_slot(self, slot_id: str, *, if_match: str | None = None) -> None:
        bot, current = await self._filler_of(slot_id)
        path = f"{self._fillers(bot)}/{_seg(str(current['_id']))}"
        if if_match is not None and mapping.version_of(current) != if_match:
            raise errors.VersionConflictError(
                f"DELETE {path}: the slot filler changed since the plan read it",
                method="DELETE", path=path, status=409,
                current_version=mapping.version_of(current), hint="run plan again")
        # A 404: an earlier attempt whose answer was lost went through.
        with contextlib.suppress(errors.NotFoundError):
            await self.http.request("DELETE", path)
        key = mapping.address(bot.logical, str(current.get("name")))
        async with bot.project.lock:
            if self._records(bot).pop(key, None) is not None:
                await self._save_state(bot.project)

    # --- context defaults -----------------------------------------------------------------

    async def _flow(self, bot: _Bot) -> dict[str, Any]:
        return await self.http.get(f"/flows/{bot.flow_id}")

    async def get_context(self, bot_id: str) -> lt.LiveContext:
        bot = await self._bot(bot_id)
        record = mapping.context_record(bot.project.state, bot.logical)
        return mapping.live_context(await self._flow(bot), record, bot=bot.logical)

    async def patch_context(self, bot_id: str, changes: Mapping[str, lt.ContextEntry | None],
                            *, if_match: str) -> lt.LiveContext:
        bot = await self._bot(bot_id)
        flow = await self._flow(bot)
        record = mapping.context_record(bot.project.state, bot.logical)
        current = mapping.live_context(flow, record, bot=bot.logical)
        path = f"/flows/{bot.flow_id}"
        if current["contextVersion"] != if_match:
            raise errors.VersionConflictError(
                f"PATCH {path}: the flow's context changed since it was read", method="PATCH",
                path=path, status=409, code="version_conflict",
                current_version=current["contextVersion"], hint="run plan again")
        context = flow.get("context") if isinstance(flow.get("context"), dict) else {}
        values, new_record = mapping.apply_context_changes(context or {}, record, changes)
        if values != context:
            await self.http.request("PATCH", path, json={"context": values})
            flow = await self._flow(bot)
        if new_record != record:
            async with bot.project.lock:
                bot.project.state["contexts"][bot.logical] = new_record
                await self._save_state(bot.project)
        return mapping.live_context(flow, new_record, bot=bot.logical)

    # --- retraining -----------------------------------------------------------------------

    async def start_retrain(self, bot_id: str) -> lt.RetrainJob:
        bot = await self._bot(bot_id)
        path = f"/flows/{bot.flow_id}/intents/train"
        project_id = bot.project.project_id

        async def _find() -> dict[str, Any] | None:
            tasks = await self.http.collect("/tasks", {"projectId": project_id})
            return next((t for t in tasks if t.get("status") in ("queued", "active")
                         and (t.get("data") or {}).get("flowId") == bot.flow_id
                         and (t.get("data") or {}).get("localeId") == bot.locale_id), None)

        task = await self._create(path, {"localeId": bot.locale_id, "mode": "full"}, _find)
        self._job_project[str(task.get("_id"))] = project_id
        return mapping.retrain_job(task, bot=bot.logical)

    async def get_job(self, job_id: str) -> lt.RetrainJob:
        params = {"projectId": self._job_project[job_id]} if job_id in self._job_project else {}
        task = await self.http.get(f"/tasks/{_seg(job_id)}", params)
        bot = next((b.logical for b in self._bots.values()
                    if b.flow_id == (task.get("data") or {}).get("flowId")), "")
        return mapping.retrain_job(task, bot=bot)

    # --- what this api does not serve (yet) -----------------------------------------------

    async def list_integrations(self, bot_id: str) -> list[lt.LiveIntegration]:
        await self._bot(bot_id)
        return []  # integrations are refused by validate on this api; none are managed

    async def get_integration(self, integration_id: str) -> lt.LiveIntegration:
        not_available("Integration")

    async def create_integration(self, body: lt.IntegrationWrite, *,
                                 idempotency_key: str | None = None) -> lt.LiveIntegration:
        not_available("Integration")

    async def put_integration(self, integration_id: str, body: lt.IntegrationWrite, *,
                              if_match: str | None = None) -> lt.LiveIntegration:
        not_available("Integration")

    async def delete_integration(self, integration_id: str, *,
                                 if_match: str | None = None) -> None:
        not_available("Integration")

    async def get_extraction_metrics(self, bot_id: str, slot_id: str, *,
                                     time_range: str = "last24h") -> lt.ExtractionMetrics:
        raise MetricsNotAvailableError(
            f"slot extraction metrics (verify) are not available on api {API_NAME}",
            hint="run apply with --no-verify on this api; the writes and the retraining "
            "are done")

    async def list_entities(self, bot_id: str) -> list[lt.Entity]:
        not_available("simulation")

    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        not_available("simulation")

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        not_available("simulation")

    async def get_session_variables(self, session_id: str, *, name: str | None = None,
                                    scope: str | None = None,
                                    include_system: bool = False) -> list[lt.SessionVariable]:
        not_available("session vars")

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        not_available("a conversation's context")

    async def patch_conversation_context(self, conversation_id: str,
                                         context: Mapping[str, lt.Json], *,
                                         if_match: str | None) -> lt.ConversationContext:
        not_available("context inject")
