"""Playbooks cogctl owns: simulation cases and slot verification, built, run and cleaned.

``shared/cognigy-ai-v2.md`` (3.4, 3.7): a ``SimulationSuite`` case is one playbook of one step
(its utterance) whose asserts are the case's expectations; a slot's verification is one
playbook per slot, a step per labelled example of its manifest. Policy:

- Names are deterministic and carry the ``cogctl:`` prefix that marks them as cogctl's:
  ``cogctl:sim:<bot>:<suite>:<case>`` and ``cogctl:verify:<bot>:<slot>`` (``#2``, ``#3``...
  for the parts of a slot with more examples than a playbook holds steps). Only playbooks
  so named are ever changed or deleted.
- An existing playbook whose steps are already the wanted ones is reused as it is; one whose
  steps differ gets them replaced (one PATCH); a missing one is created, and a lost answer to
  that POST is resolved by looking the name up, never by a blind second POST.
- Runs are read once their task is ``done`` (a 404 right after that is the documented race,
  ISS Cognigy-CLI#145: read again later) and deleted once read. Playbooks of cases no longer
  in a suite, and verification parts no longer needed, are deleted.
- Results come from the run: a step passed when its status is ``successful``. What the
  turn shows (intent, entities, response) is the expectation when its assert passed, else
  what the assert's ``actual`` holds, read tolerantly (its shape is not documented).

Examples: a value expects ``assertSlot`` (found in this step) and ``assertContext`` (the
value stored under the filler's context key); ``value: null`` expects the slot not found. A
fuzzy slot's value may come back in another case (a lexicon fills its entry as written):
``example_passed`` then compares the assert's ``actual`` case-insensitively.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

from reconciler import errors, extraction
from reconciler.backend.cognigy_ai import http
from reconciler.core import livetypes as lt
from reconciler.manifests import models

PREFIX = "cogctl:"
MAX_STEPS = 50  # a playbook holds at most 50 steps (docs/ai/test/playbooks.md)
STEP_TIMEOUT_MS = 20000

Create = Callable[[str, dict[str, Any], Callable[[], Awaitable[dict[str, Any] | None]]],
                  Awaitable[dict[str, Any]]]


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def simulation_name(bot: str, suite: str, case_id: str) -> str:
    return f"{PREFIX}sim:{bot}:{suite}:{case_id}"


def verify_name(bot: str, slot: str, part: int = 1) -> str:
    base = f"{PREFIX}verify:{bot}:{slot}"
    return base if part == 1 else f"{base}#{part}"


def _assert(kind: str, **params: Any) -> dict[str, Any]:
    return {"type": kind, "params": {**params, "negate": params.get("negate", False)}}


def case_steps(case: models.SimulationCase) -> list[dict[str, Any]]:
    """The one step of a case's playbook: its utterance, an assert per expectation."""
    expect = case.expect
    asserts = []
    if expect.intent is not None:
        asserts.append(_assert("assertIntent", intent=expect.intent))
    for name, value in expect.entities.items():
        asserts.append(_assert("assertSlot", slot=name))
        asserts.append(_assert("assertContext", data={name: value}, partial=True))
    if expect.responseContains is not None:
        asserts.append(_assert("assertText", text=expect.responseContains, fuzzy=True))
    return [{"text": case.utterance, "data": {}, "asserts": asserts}]


def example_steps(slot: str, context_key: str,
                  examples: Sequence[models.SlotExample]) -> list[dict[str, Any]]:
    """A step per labelled example (see the module docstring)."""
    steps = []
    for example in examples:
        if example.value is None:
            asserts = [_assert("assertSlot", slot=slot, negate=True)]
        else:
            asserts = [_assert("assertSlot", slot=slot),
                       _assert("assertContext", data={context_key: example.value},
                               partial=True)]
        steps.append({"text": example.text, "data": {}, "asserts": asserts})
    return steps


def parts(steps: Sequence[dict[str, Any]], size: int = MAX_STEPS) -> list[list[dict[str, Any]]]:
    return [list(steps[i:i + size]) for i in range(0, len(steps), size)] or [[]]


def _comparable(steps: Any) -> list[Any]:
    """Steps without the ids the server gives them, for comparing with wanted steps."""
    found = []
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            return [None]
        asserts = as_list(step.get("asserts"))
        found.append({"text": step.get("text") or "", "data": step.get("data") or {},
                      "asserts": [{"type": a.get("type"), "params": a.get("params")}
                                  for a in asserts if isinstance(a, dict)]})
    return found


def same_steps(live: Any, wanted: Sequence[dict[str, Any]]) -> bool:
    return _comparable(live) == _comparable(list(wanted))


def passed(step: Mapping[str, Any]) -> bool:
    return step.get("status") == "successful"


_FOLDED = extraction.Matcher((), "fuzzy")  # how extraction compares a fuzzy slot's values


def example_passed(step: Mapping[str, Any], expected: str | None, context_key: str, *,
                   fold: bool) -> bool:
    """Whether a verification step extracted its example's value. A filler that matches in
    any case (``fold``: a fuzzy slot) passes with the value in another case too, as the
    platform's extraction judges it; the assert compares exactly, so its ``actual`` decides."""
    if not fold or expected is None or passed(step):
        return passed(step)
    asserts = _asserts_of(step)
    if not any(a.get("type") == "assertSlot" and a.get("status") == "successful"
               for a in asserts):
        return False
    for item in asserts:
        if item.get("type") == "assertContext":
            seen = _actual(item, "context")
            value = seen.get(context_key) if isinstance(seen, dict) else None
            return isinstance(value, str) and extraction.meets(_FOLDED, value, expected)
    return False


def step_results(run: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = run.get("stepResults")
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def _asserts_of(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = step.get("asserts")
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def _actual(item: Mapping[str, Any], key: str) -> Any:
    actual = item.get("actual")
    return actual.get(key) if isinstance(actual, dict) else None


def turn_of(case: models.SimulationCase, run: Mapping[str, Any]) -> lt.SimulationTurn:
    """The run's one step as the turn the core judges (see the module docstring). A run does
    not say which flow the turn ended in: ``flowId`` is None, so coverage reads unmeasured."""
    steps = step_results(run)
    asserts = _asserts_of(steps[0]) if steps else []
    intent: Any = None
    response: Any = None
    slots_found: set[str] = set()
    context: dict[str, Any] = {}
    for item in asserts:
        params = as_dict(item.get("params"))
        ok = item.get("status") == "successful"
        kind = item.get("type")
        if kind == "assertIntent":
            intent = params.get("intent") if ok else _actual(item, "intent")
        elif kind == "assertText":
            response = params.get("text") if ok else _actual(item, "text")
        elif kind == "assertSlot" and ok:
            slots_found.add(str(params.get("slot")))
        elif kind == "assertContext":
            seen = params.get("data") if ok else _actual(item, "context")
            if isinstance(seen, dict):
                context.update(seen)
    entities = {name: context[name] for name in case.expect.entities
                if name in slots_found and name in context}
    turn = {"turnIndex": 0, "flowId": None,
            "intent": intent if isinstance(intent, str) else None,
            "entities": entities, "response": response if isinstance(response, str) else None,
            "errorCode": None, "errorMessage": None}
    return cast(lt.SimulationTurn, turn)


def failed_turn(code: str, message: str) -> lt.SimulationTurn:
    return {"turnIndex": 0, "flowId": None, "intent": None, "entities": {}, "response": None,
            "errorCode": code, "errorMessage": message}


def model_version(flow: Mapping[str, Any], locale: str) -> str:
    """The flow, the locale and the flow's feedback report, as verify shows them."""
    report = as_dict(flow.get("feedbackReport"))
    info = as_dict(report.get("info"))
    kinds = [str(f.get("type")) for f in as_list(report.get("findings")) if isinstance(f, dict)]
    said = (f"flow {flow.get('name')} ({locale}) trained; intent accuracy "
            f"{info.get('accuracy', 'n/a')}, fScore {info.get('fScore', 'n/a')}")
    return said + (f" ({', '.join(kinds)})" if kinds else "")


@dataclass(frozen=True)
class Catalogue:
    """What the manifests of the run say that the v2 API has no place for: each slot's
    labelled examples and each suite's cases, by logical bot."""

    examples: Mapping[tuple[str, str], tuple[models.SlotExample, ...]] = field(
        default_factory=dict)
    cases: Mapping[str, tuple[tuple[models.SimulationSuite, models.SimulationCase], ...]] = \
        field(default_factory=dict)

    @classmethod
    def of(cls, manifests: Iterable[object]) -> Catalogue:
        examples: dict[tuple[str, str], tuple[models.SlotExample, ...]] = {}
        cases: dict[str, list[tuple[models.SimulationSuite, models.SimulationCase]]] = {}
        for manifest in manifests:
            if isinstance(manifest, models.Slot):
                key = (manifest.metadata.bot, manifest.metadata.name)
                examples[key] = tuple(manifest.spec.examples)
            elif isinstance(manifest, models.SimulationSuite):
                cases.setdefault(manifest.metadata.bot, []).extend(
                    (manifest, case) for case in manifest.spec.cases)
        return cls(examples, {bot: tuple(found) for bot, found in cases.items()})

    def case(self, bot: str, request: lt.SimulationRequest) -> tuple[
            models.SimulationSuite, models.SimulationCase]:
        """The suite and case a simulation request runs (same id and utterance)."""
        for suite, case in self.cases.get(bot, ()):
            if case.id == request["testId"] and case.utterance == request["input"].get("text"):
                return suite, case
        raise errors.RequestRejectedError(
            f"case {request['testId']!r} of bot {bot!r} is not among the manifests of this "
            "run", hint="on api cognigy-ai a case runs as a playbook built from its manifest")


def _seg(value: str) -> str:
    return quote(value, safe="")


class Playbooks:
    """The playbook calls of one tenant; ids of playbooks found or made are kept per run."""

    def __init__(self, requester: http.Requester, create: Create) -> None:
        self.http = requester
        self._create = create
        self._ids: dict[tuple[str, str], str] = {}

    async def owned(self, project_id: str, prefix: str) -> dict[str, str]:
        """name -> _id of the project's playbooks whose name starts with ``prefix``."""
        items = await self.http.collect("/playbooks", {"projectId": project_id,
                                                       "filter": prefix})
        return {str(i.get("name")): str(i.get("_id")) for i in items
                if str(i.get("name", "")).startswith(prefix)}

    async def ensure(self, project_id: str, name: str, steps: Sequence[dict[str, Any]]) -> str:
        """The id of playbook ``name`` holding exactly ``steps`` (reused, updated or made)."""
        known = self._ids.get((project_id, name))
        if known is None:
            known = (await self.owned(project_id, name)).get(name)
        if known is not None:
            path = f"/playbooks/{_seg(known)}"
            try:
                live = await self.http.get(path)
            except errors.NotFoundError:
                known = None
            else:
                if not same_steps(live.get("steps"), steps):
                    await self.http.request("PATCH", path, json={"steps": list(steps)})
        if known is None:
            body = {"projectId": project_id, "name": name, "abortOnError": False,
                    "timeout": STEP_TIMEOUT_MS, "steps": list(steps)}

            async def _find() -> dict[str, Any] | None:
                found = (await self.owned(project_id, name)).get(name)
                return {"_id": found} if found else None

            known = str((await self._create("/playbooks", body, _find))["_id"])
        self._ids[(project_id, name)] = known
        return known

    async def schedule(self, playbook_id: str, *, entrypoint: str, flow_reference: str,
                       locale_reference: str) -> str:
        """Start a run; the id is the task's. A repeated schedule only runs it once more."""
        answer = await self.http.request(
            "POST", f"/playbooks/{_seg(playbook_id)}/schedule", repeatable=True,
            json={"entrypoint": entrypoint, "flowId": flow_reference,
                  "localeId": locale_reference})
        task = http.expect_object(answer, "POST", "/playbooks/{id}/schedule")
        return str(task.get("_id"))

    async def task(self, task_id: str, project_id: str) -> dict[str, Any]:
        return await self.http.get(f"/tasks/{_seg(task_id)}", {"projectId": project_id})

    async def take_run(self, playbook_id: str, task: Mapping[str, Any]) -> dict[str, Any] | None:
        """The finished task's run, deleted once read; None while it answers 404."""
        run_id = as_dict(task.get("data")).get("playbookRunId")
        if not isinstance(run_id, str):
            raise errors.BackendError(f"playbook task {task.get('_id')} is done but names no "
                                      "playbookRunId", path="/tasks")
        path = f"/playbooks/{_seg(playbook_id)}/runs/{_seg(run_id)}"
        try:
            run = await self.http.get(path)
        except errors.NotFoundError:
            return None
        with contextlib.suppress(errors.BackendError):
            await self.http.request("DELETE", path)
        return run

    async def wait_run(self, name: str, playbook_id: str, task_id: str, project_id: str, *,
                       deadline: float) -> dict[str, Any]:
        """The run of a scheduled playbook, its task polled (clock and sleep of the retry
        policy) until done; ``MetricsNotReadyError`` once ``deadline`` seconds passed."""
        clock, sleep = self.http.retry.clock, self.http.retry.sleep
        until = clock() + deadline
        wait = 0.25
        while True:
            task = await self.task(task_id, project_id)
            if task.get("status") in ("error", "cancelled"):
                raise errors.BackendError(
                    f"playbook {name!r} ended {task.get('status')}: "
                    f"{task.get('failReason') or 'no reason given'}", path="/tasks")
            if task.get("status") == "done":
                run = await self.take_run(playbook_id, task)
                if run is not None:
                    return run
            if clock() >= until:
                raise errors.MetricsNotReadyError(
                    f"playbook {name!r} did not finish within {deadline:g}s",
                    path="/tasks", status=404, code="metrics_not_ready")
            await sleep(min(wait, max(until - clock(), 0.0)))
            wait = min(wait * 2, 2.0)

    async def clean(self, project_id: str, prefix: str, keep: Iterable[str], *,
                    within: Callable[[str], bool] = lambda name: True) -> list[str]:
        """Delete cogctl's playbooks named ``prefix...`` (and ``within``) not in ``keep``."""
        wanted = set(keep)
        gone = []
        for name, ident in sorted((await self.owned(project_id, prefix)).items()):
            if name in wanted or not within(name):
                continue
            with contextlib.suppress(errors.NotFoundError):
                await self.http.request("DELETE", f"/playbooks/{_seg(ident)}")
            self._ids.pop((project_id, name), None)
            gone.append(name)
        return gone
