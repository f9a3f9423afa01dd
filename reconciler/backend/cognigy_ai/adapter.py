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
  the first write, split over more flows when large, re-read before each write and never
  written over another writer's (``statestore``); writes to it are serialised per project.
- Retraining is one train task per flow and locale, polled on ``/tasks``: bots that share
  both share the task, bots that share a flow in other locales train each locale once.
- Keyphrase slots are a ``type: slot`` filler plus a lexicon (``keyphrasing``); integrations
  are HTTP Request nodes and Connections (``integrating``).
- Simulations and slot verification run as playbooks cogctl owns (``playbooks``), built
  from what the manifests of the run say (``manifests=``: cases and labelled examples).
  A slot's metrics are ``not ready`` while its flow's training is out of date; its
  ``modelVersion`` names the flow, the locale and the flow's feedback report.
- A session's context is read from ``GET /sessions/{id}/state`` and written by inject
  with the session's user (``inject_session_context``; last writer wins: no version).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, NoReturn, cast
from urllib.parse import quote

from reconciler import errors
from reconciler.backend import base
from reconciler.backend.cognigy_ai import (
    http,
    integrating,
    keyphrasing,
    mapping,
    playbooks,
    sites,
    statestore,
)
from reconciler.backend.cognigy_ai import sessions as ai_sessions
from reconciler.backend.httpkit import retrying, sending
from reconciler.core import livetypes as lt
from reconciler.manifests import projects

API_NAME = projects.API_COGNIGY_AI


class NotAvailableError(errors.BackendError):
    """A feature this api cannot answer (or cogctl does not map for it yet)."""


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
    stored: statestore.Stored
    state: dict[str, Any]
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    changes: int = 0  # changes made to ``state`` so far
    saved: int = 0  # of those, how many a save has written


@dataclasses.dataclass(frozen=True)
class _Simulation:
    task_id: str
    playbook_id: str
    bot: _Bot
    case: Any  # models.SimulationCase


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
        manifests: Sequence[object] = (),
        playbook_deadline_seconds: float = 120.0,
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
        self._integrations = integrating.Integrations(self.http)
        self._keyphrases = keyphrasing.Keyphrases(self.http)
        self._catalogue = playbooks.Catalogue.of(manifests)
        self._playbooks = playbooks.Playbooks(self.http, self._create)
        self._store = statestore.StateStore(self.http, self._create)
        self._playbook_deadline = playbook_deadline_seconds
        self._trainings: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}
        self._simulations: dict[str, _Simulation] = {}
        self._cleaned: set[str] = set()  # playbook name prefixes cleaned in this run

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

    async def _site(self, logical: str) -> sites.Site:
        bot = await self._bot(logical)
        project = bot.project

        async def commit(change: Callable[[], bool]) -> None:
            await self._commit(project, change)

        return sites.Site(
            logical=logical, project_id=project.project_id, flow_id=bot.flow_id,
            locale_id=bot.locale_id, flows=project.flows,
            integrations_flow=self._mapping[logical].integrationsFlow,
            records=self._records(bot), commit=commit, create=self._create)

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
        if statestore.is_state_flow(flow.get("name")):
            raise errors.ConfigError(f"bot {logical!r} maps to cogctl's own state flow",
                                     hint="name the bot's entry flow")
        locale = _match(state.locales, where.locale, "locale", f"in project {name!r}",
                        ("_id", "referenceId", "name"))
        return _Bot(logical, state, str(flow["_id"]), str(locale["_id"]))

    async def _load_project(self, project_id: str) -> _Project:
        scope = {"projectId": project_id}
        flows, locales = await asyncio.gather(self.http.collect("/flows", scope),
                                              self.http.collect("/locales", scope))
        stored, state = await self._store.load(project_id, flows)
        return _Project(project_id, flows, locales, stored, state)

    async def _commit(self, project: _Project, change: Callable[[], bool]) -> None:
        """Make ``change`` to the project's state (it says whether it changed anything) and
        return once a save holds it. Changes that concurrent writers make while a save is
        under way go out together in the next one (a group commit): one state re-read and
        write for several objects, and still no write returns before its record is saved."""
        async with project.lock:  # never while a save is under way: it copies what it wrote
            if not change():
                return
            project.changes += 1
            wanted = project.changes
        async with project.lock:
            if project.saved >= wanted:
                return  # a save that started after the change held it
            covered = project.changes
            await self._store.save(project.stored, project.state)
            project.saved = covered

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
        phrases = await self._keyphrases_of(bot, fillers)
        slots = []
        for filler in fillers:
            self._slot_bot[str(filler.get("_id"))] = bot.logical
            record = records.get(mapping.address(bot.logical, str(filler.get("name"))))
            slots.append(mapping.live_slot(filler, record, bot=bot.logical,
                                           ids_by_name=ids_by_name,
                                           keyphrases=phrases.get(str(filler.get("_id")))))
        return slots

    async def _keyphrases_of(self, bot: _Bot, fillers: Sequence[Mapping[str, Any]]) -> dict[
            str, list[str]]:
        """Filler ``_id`` -> live patterns, of the keyphrase (``type: slot``) fillers."""
        keyphrase = [f for f in fillers if f.get("type") == "slot"]
        if not keyphrase:
            return {}
        site = await self._site(bot.logical)
        attached = (await self._flow(bot)).get("attachedLexicons") or []
        records = self._records(bot)
        found = await asyncio.gather(*(self._keyphrases.patterns(
            site, records.get(mapping.address(bot.logical, str(f.get("name")))), attached)
            for f in keyphrase))
        return {str(f.get("_id")): p for f, p in zip(keyphrase, found, strict=True)}

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

    async def _surface(self, bot: _Bot, filler: dict[str, Any]) -> lt.LiveSlot:
        record = self._records(bot).get(mapping.address(bot.logical, str(filler.get("name"))))
        names = {v: k for k, v in self._aliases.items()}
        ids_by_name = {**names, **{n: i for i, n in self._names(bot).items()}}
        phrases = await self._keyphrases_of(bot, [filler])
        return mapping.live_slot(filler, record, bot=bot.logical, ids_by_name=ids_by_name,
                                 keyphrases=phrases.get(str(filler.get("_id"))))

    def _names(self, bot: _Bot) -> dict[str, str]:
        """Filler ``_id`` -> slot name, of the slots cogctl has seen or recorded."""
        found = {str(r.get("_id")): addr.rsplit("/", 1)[-1]
                 for addr, r in self._records(bot).items()
                 if addr.startswith(f"Slot/{bot.logical}/") and isinstance(r, dict)}
        return found

    async def get_slot(self, slot_id: str) -> lt.LiveSlot:
        bot, filler = await self._filler_of(slot_id)
        return await self._surface(bot, filler)

    def _dependency_names(self, bot: _Bot, ids: Sequence[str]) -> list[str]:
        names = {**self._names(bot), **self._aliases}
        return [names.get(i, i) for i in ids]

    async def put_slot(self, slot_id: str, body: lt.SlotWrite, *, if_match: str | None = None,
                       create_only: bool = False) -> tuple[lt.LiveSlot, str | None]:
        bot = await self._bot(body["botId"])
        key = mapping.address(bot.logical, body["name"])
        self._slot_bot[slot_id] = bot.logical
        path = self._fillers(bot)
        if create_only:
            self._aliases.setdefault(slot_id, body["name"])
        else:
            _bot, current = await self._filler_of(slot_id)
            version = (await self._surface(bot, current))["version"]
            if if_match is not None and version != if_match:
                raise errors.VersionConflictError(
                    f"PATCH {path}/{current.get('_id')}: slot filler {body['name']!r} changed "
                    "since the plan read it", method="PATCH", path=path, status=409,
                    current_version=version,
                    hint="run plan again (or apply --force to write over it)")
        extra = await self._write_lexicon(bot, key, body)
        if create_only:
            filler = await self._create_filler(bot, key, body)
        else:
            filler = await self._patch_filler(bot, current, body)
        dependencies = self._dependency_names(bot, body["dependencies"])
        record = {**mapping.slot_record(filler, body, dependencies), **extra}
        def change() -> bool:
            self._records(bot)[key] = record
            return True

        await self._commit(bot.project, change)
        self._slot_bot[str(filler["_id"])] = bot.logical
        return await self._surface(bot, filler), None

    async def _write_lexicon(self, bot: _Bot, key: str, body: lt.SlotWrite) -> dict[str, str]:
        """A keyphrase slot's lexicon as ``body`` wants it (its ids for the record); for a
        regex slot that was a keyphrase one, its lexicon removed."""
        record = self._records(bot).get(key)
        site = await self._site(bot.logical)
        if body["type"] == "keyphrase":
            return await self._keyphrases.write(site, key, body["name"], body["patterns"],
                                                record if isinstance(record, dict) else None)
        if isinstance(record, dict) and record.get("lexiconId"):
            await self._keyphrases.remove(site, record)
        return {}

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
        version = (await self._surface(bot, current))["version"]
        if if_match is not None and version != if_match:
            raise errors.VersionConflictError(
                f"DELETE {path}: the slot filler changed since the plan read it",
                method="DELETE", path=path, status=409, current_version=version,
                hint="run plan again")
        # A 404: an earlier attempt whose answer was lost went through.
        with contextlib.suppress(errors.NotFoundError):
            await self.http.request("DELETE", path)
        key = mapping.address(bot.logical, str(current.get("name")))
        record = self._records(bot).get(key)
        if isinstance(record, dict) and record.get("lexiconId"):
            await self._keyphrases.remove(await self._site(bot.logical), record)
        await self._commit(bot.project, lambda: self._records(bot).pop(key, None) is not None)

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
            def change() -> bool:
                bot.project.state["contexts"][bot.logical] = new_record
                return True

            await self._commit(bot.project, change)
        return mapping.live_context(flow, new_record, bot=bot.logical)

    # --- retraining -----------------------------------------------------------------------

    async def start_retrain(self, bot_id: str) -> lt.RetrainJob:
        """One train task per flow and locale at a time: a bot sharing both with another
        joins the task started for it while that task is still queued or running."""
        bot = await self._bot(bot_id)
        key = (bot.flow_id, bot.locale_id)
        started = self._trainings.get(key)
        if started is not None and not (started.done() and started.exception() is not None):
            task = await asyncio.shield(started)
            current = await self.http.get(f"/tasks/{_seg(str(task.get('_id')))}",
                                          {"projectId": bot.project.project_id})
            if current.get("status") in ("queued", "active"):
                return mapping.retrain_job(current, bot=bot.logical)
        started = asyncio.ensure_future(self._train(bot))
        self._trainings[key] = started
        return mapping.retrain_job(await asyncio.shield(started), bot=bot.logical)

    async def _train(self, bot: _Bot) -> dict[str, Any]:
        path = f"/flows/{bot.flow_id}/intents/train"
        project_id = bot.project.project_id

        async def _find() -> dict[str, Any] | None:
            tasks = await self.http.collect("/tasks", {"projectId": project_id})
            return next((t for t in tasks if t.get("status") in ("queued", "active")
                         and (t.get("data") or {}).get("flowId") == bot.flow_id
                         and (t.get("data") or {}).get("localeId") == bot.locale_id), None)

        task = await self._create(path, {"localeId": bot.locale_id, "mode": "full"}, _find)
        self._job_project[str(task.get("_id"))] = project_id
        return task

    async def get_job(self, job_id: str) -> lt.RetrainJob:
        params = {"projectId": self._job_project[job_id]} if job_id in self._job_project else {}
        task = await self.http.get(f"/tasks/{_seg(job_id)}", params)
        bot = next((b.logical for b in self._bots.values()
                    if b.flow_id == (task.get("data") or {}).get("flowId")), "")
        return mapping.retrain_job(task, bot=bot)

    # --- simulations: a case is a playbook ------------------------------------------------

    def _flow_of(self, bot: _Bot) -> dict[str, Any]:
        return next(f for f in bot.project.flows if str(f.get("_id")) == bot.flow_id)

    def _locale_of(self, bot: _Bot) -> dict[str, Any]:
        return next(x for x in bot.project.locales if str(x.get("_id")) == bot.locale_id)

    async def list_entities(self, bot_id: str) -> list[lt.Entity]:
        """The slot fillers of the bot's flow: what a case's ``entities`` may name."""
        bot = await self._bot(bot_id)
        items = await self.http.collect(self._fillers(bot))
        return [{"name": str(i.get("name")), "type": str(i.get("type") or "regex")}
                for i in items]

    async def _schedule(self, bot: _Bot, playbook_id: str) -> str:
        return await self._playbooks.schedule(
            playbook_id, entrypoint=bot.project.project_id,
            flow_reference=str(self._flow_of(bot).get("referenceId")),
            locale_reference=str(self._locale_of(bot).get("referenceId")))

    async def _clean_once(self, bot: _Bot, prefix: str, keep: set[str], *,
                          within: Callable[[str], bool] = lambda name: True) -> None:
        marker = f"{bot.project.project_id}:{prefix}"
        if marker not in self._cleaned:
            self._cleaned.add(marker)
            await self._playbooks.clean(bot.project.project_id, prefix, keep, within=within)

    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        bot = await self._bot(body["botId"])
        suite, case = self._catalogue.case(bot.logical, body)
        prefix = playbooks.simulation_name(bot.logical, suite.metadata.name, "")
        await self._clean_once(bot, prefix, {
            playbooks.simulation_name(bot.logical, suite.metadata.name, c.id)
            for c in suite.spec.cases})
        name = playbooks.simulation_name(bot.logical, suite.metadata.name, case.id)
        playbook_id = await self._playbooks.ensure(bot.project.project_id, name,
                                                   playbooks.case_steps(case))
        task_id = await self._schedule(bot, playbook_id)
        self._simulations[task_id] = _Simulation(task_id, playbook_id, bot, case)
        return task_id

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        found = self._simulations.get(simulation_id)
        if found is None:
            raise errors.NotFoundError(f"simulation {simulation_id} was not started by this "
                                       "run", method="GET", path="/tasks", status=404)
        task = await self._playbooks.task(found.task_id, found.bot.project.project_id)
        result: dict[str, Any] = {"simulationId": simulation_id, "testId": found.case.id,
                                  "status": "running", "turns": []}
        status = task.get("status")
        if status == "queued":
            result["status"] = "queued"
        elif status in ("error", "cancelled"):
            reason = str(task.get("failReason") or status)
            result.update(status="failed", turns=[playbooks.failed_turn(
                f"PLAYBOOK_{str(status).upper()}", reason)])
        elif status == "done":
            run = await self._playbooks.take_run(found.playbook_id, task)
            if run is not None:
                result.update(status="completed",
                              turns=[playbooks.turn_of(found.case, run)])
        return cast(lt.Simulation, result)

    # --- verification: a slot's labelled examples as a playbook ---------------------------

    async def _feedback(self, bot: _Bot) -> dict[str, Any]:
        return await self.http.get(f"/flows/{bot.flow_id}", {
            "includeFeedbackReport": "true", "preferredLocaleId": bot.locale_id})

    async def get_extraction_metrics(self, bot_id: str, slot_id: str, *,
                                     time_range: str = "last24h") -> lt.ExtractionMetrics:
        """The share of the slot's labelled examples its playbook passes (see the module
        docstring); ``MetricsNotReadyError`` while the flow's training is out of date."""
        bot, filler = await self._filler_of(slot_id)
        name = str(filler.get("name"))
        flow = await self._feedback(bot)
        if flow.get("isTrainingOutOfDate"):
            raise errors.MetricsNotReadyError(
                f"flow {flow.get('name')!r} is not trained since it changed",
                method="GET", path=f"/flows/{bot.flow_id}", status=404,
                code="metrics_not_ready", hint="apply retrains it; or train the flow")
        examples = self._catalogue.examples.get((bot.logical, name), ())
        steps = playbooks.example_steps(name, str(filler.get("contextKey") or name), examples)
        chunks = playbooks.parts(steps) if steps else []
        names = [playbooks.verify_name(bot.logical, name, i + 1) for i in range(len(chunks))]
        base = playbooks.verify_name(bot.logical, name)
        await self._playbooks.clean(
            bot.project.project_id, base, names,
            within=lambda n: n == base or n.startswith(base + "#"))
        results = await asyncio.gather(*(self._run_playbook(bot, n, c)
                                         for n, c in zip(names, chunks, strict=True)))
        key, fold = str(filler.get("contextKey") or name), mapping.folds_case(filler)
        ran = [s for run in results for s in playbooks.step_results(run)]
        outcomes = [playbooks.example_passed(s, e.value, key, fold=fold)
                    for s, e in zip(ran, examples, strict=False)]
        rate = sum(outcomes) / len(outcomes) if outcomes else 0.0
        return {"slotId": slot_id, "successRate": round(rate, 6), "sampleSize": len(outcomes),
                "modelVersion": playbooks.model_version(
                    flow, str(self._locale_of(bot).get("name"))),
                "timeRange": time_range}

    async def _run_playbook(self, bot: _Bot, name: str,
                            steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
        project_id = bot.project.project_id
        playbook_id = await self._playbooks.ensure(project_id, name, steps)
        task_id = await self._schedule(bot, playbook_id)
        return await self._playbooks.wait_run(name, playbook_id, task_id, project_id,
                                              deadline=self._playbook_deadline)

    # --- export ---------------------------------------------------------------------------

    async def export_refusals(self, bot_id: str) -> dict[str, str]:
        """Slot fillers whose live slot would not say what they do (``ops.exporting``)."""
        bot = await self._bot(bot_id)
        found: dict[str, str] = {}
        for filler in await self.http.collect(self._fillers(bot)):
            reason = mapping.export_refusal(filler)
            if reason is None and filler.get("type") == "regex":
                full = await self.http.get(f"{self._fillers(bot)}/{_seg(str(filler['_id']))}")
                reason = mapping.export_refusal(full)
            elif reason is None and filler.get("type") == "slot":
                phrases = await self._keyphrases_of(bot, [filler])
                if not phrases.get(str(filler.get("_id"))):
                    reason = ("a keyphrase slot filler with no lexicon entries attached to "
                              "the flow: nothing says what it matches")
            if reason is not None:
                found[mapping.address(bot.logical, str(filler.get("name")))] = reason
        return found

    # --- sessions and conversations -------------------------------------------------------

    async def get_session_variables(self, session_id: str, *, name: str | None = None,
                                    scope: str | None = None,
                                    include_system: bool = False) -> list[lt.SessionVariable]:
        state = await ai_sessions.read_state(self.http, session_id)
        return ai_sessions.variables(ai_sessions.context_of(state), name=name, scope=scope,
                                     include_system=include_system)

    async def get_conversation_context(self, conversation_id: str) -> lt.ConversationContext:
        """A conversation is a session on this api: its context, by ``/sessions/{id}/state``."""
        state = await ai_sessions.read_state(self.http, conversation_id)
        return ai_sessions.conversation_context(conversation_id, state)

    async def patch_conversation_context(self, conversation_id: str,
                                         context: Mapping[str, lt.Json], *,
                                         if_match: str | None) -> lt.ConversationContext:
        not_available("context inject without the session's user",
                      hint="pass --user-id: on this api a session's context is written with "
                           "its user (last writer wins)")

    async def inject_session_context(self, session_id: str, user_id: str,
                                     values: Mapping[str, lt.Json]) -> dict[str, lt.Json]:
        """Merge ``values`` into the session's context (no version: last writer wins)."""
        return await ai_sessions.inject(self.http, session_id, user_id, values)

    # --- integrations ---------------------------------------------------------------------

    async def list_integrations(self, bot_id: str) -> list[lt.LiveIntegration]:
        return await self._integrations.list(await self._site(bot_id))

    async def _integration_site(self, integration_id: str) -> sites.Site:
        logical = self._integrations.bot_of.get(integration_id)
        if logical is None:
            raise errors.NotFoundError(
                f"integration {integration_id} is not known on api {API_NAME}",
                method="GET", path=integration_id, status=404)
        return await self._site(logical)

    async def get_integration(self, integration_id: str) -> lt.LiveIntegration:
        site = await self._integration_site(integration_id)
        return await self._integrations.get(site, integration_id)

    async def create_integration(self, body: lt.IntegrationWrite, *,
                                 idempotency_key: str | None = None) -> lt.LiveIntegration:
        return await self._integrations.create(await self._site(body["bot_id"]), body)

    async def put_integration(self, integration_id: str, body: lt.IntegrationWrite, *,
                              if_match: str | None = None) -> lt.LiveIntegration:
        site = await self._integration_site(integration_id)
        return await self._integrations.update(site, integration_id, body, if_match=if_match)

    async def delete_integration(self, integration_id: str, *,
                                 if_match: str | None = None) -> None:
        site = await self._integration_site(integration_id)
        await self._integrations.delete(site, integration_id, if_match=if_match)
