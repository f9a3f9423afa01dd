"""Playbooks with steps and asserts, scheduled as tasks; runs computed against the flow.

A run starts from the flow's default ``context`` and sends each step's text through the
flow: the intent is recognised from the intents' example sentences, every slot filler of the
flow runs on the text (``nlu``) and stores its value in the context as the filler says
(``storeResultInContext``, ``contextKey``, ``skipIfResultInContext``), and the flow answers
with the recognised intent's response. Each assert is then judged (``negate`` inverts it):

- ``assertText {text, fuzzy}``: the answer equals ``text`` (fuzzy: contains it, ignoring case)
- ``assertData {data, partial}``: the output data (the step's data echoed) equals / contains
- ``assertState {state}``: the session state (``default``) is ``state``
- ``assertContext {data, partial}``: the context equals / contains ``data``
- ``assertIntent {intent}``: the recognised intent is ``intent``
- ``assertSlot {slot}``: a filler with that name, lexicon slot or context key found a value

``actual`` holds what was compared (``{"text"}``, ``{"data"}``, ``{"state"}``,
``{"context"}``, ``{"intent", "score"}``, ``{"slots"}``). A step passes when all its asserts
do; the run is ``successful`` when every step is. With ``abortOnError`` the steps after the
first failure are not run and count as failed. The run becomes readable once its task is
done (a read before then is ``404``, as right after scheduling on a real tenant).
"""

from __future__ import annotations

import copy

from pydantic import JsonValue

from reconciler import extraction
from reconciler.emulator.cognigy_ai import nlu, resources, tasks, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.records import Doc, TaskRecord
from reconciler.emulator.cognigy_ai.state import TenantState

ASSERT_TYPES = frozenset({"assertText", "assertData", "assertState", "assertContext",
                          "assertIntent", "assertSlot"})
PLAYBOOK_FIELDS = {"projectId": "str", "name": "str", "abortOnError": "bool",
                   "timeout": "int", "steps": "list"}
STEP_FIELDS = {"text": "str", "data": "any", "asserts": "list"}
ASSERT_FIELDS = {"type": "str", "params": "any"}


def _assert(state: TenantState, body: JsonValue) -> dict[str, JsonValue]:
    values = wire.fields(body, ASSERT_FIELDS, required=("type",),
                         ignore=("playbookId", "stepId", "assertId"))
    if values["type"] not in ASSERT_TYPES:
        raise wire.invalid("type", f"must be one of {', '.join(sorted(ASSERT_TYPES))}")
    params = values.get("params", {})
    if not isinstance(params, dict):
        raise wire.invalid("params", "must be an object")
    return {"_id": state.new_id(), "type": values["type"], "params": copy.deepcopy(params)}


def _step(state: TenantState, body: JsonValue) -> dict[str, JsonValue]:
    values = wire.fields(body, STEP_FIELDS, ignore=("playbookId", "stepId", "_id"))
    raw = values.get("asserts", [])
    assert isinstance(raw, list)
    step: dict[str, JsonValue] = {"_id": state.new_id(), "text": values.get("text", ""),
                                  "data": copy.deepcopy(values.get("data", {})),
                                  "asserts": [_assert(state, a) for a in raw]}
    return step


def _steps(playbook: Doc) -> list[dict[str, JsonValue]]:
    steps = playbook.body["steps"]
    assert isinstance(steps, list)
    return steps  # type: ignore[return-value]


def _check_steps(state: TenantState, count: int) -> None:
    if count > state.settings.maxPlaybookSteps:
        raise wire.invalid("steps", f"a playbook holds at most "
                           f"{state.settings.maxPlaybookSteps} steps")


def index_playbooks(call: Call) -> wire.Answer:
    keep = ("_id", "name", "createdAt", "lastChanged", "createdBy", "lastChangedBy")
    items = [{k: copy.deepcopy(v) for k, v in d.body.items() if k in keep}
             for d in call.state.of_kind("playbook", project=call.scope())]
    return resources.ok(wire.page(items, call.query))


def create_playbook(call: Call) -> wire.Answer:
    values = wire.fields(call.body, PLAYBOOK_FIELDS, required=("projectId", "name"))
    project = str(call.project(values["projectId"]).body["_id"])
    name = wire.name_of(values)
    resources.unique(call.state, "playbook", name, project=project)
    timeout = values.get("timeout", 20000)
    if not isinstance(timeout, int) or timeout < 1:
        raise wire.invalid("timeout", "must be at least 1 (ms)")
    raw = values.get("steps", [])
    assert isinstance(raw, list)
    _check_steps(call.state, len(raw))
    steps: list[JsonValue] = [_step(call.state, s) for s in raw]
    return resources.created(call.state.add("playbook", {
        "name": name, "abortOnError": values.get("abortOnError", False), "timeout": timeout,
        "steps": steps}, project=project, user=call.user, now=call.now))


def _playbook(call: Call) -> Doc:
    return call.doc("playbook", "playbookId", "Playbook")


def read_playbook(call: Call) -> wire.Answer:
    return resources.ok(copy.deepcopy(_playbook(call).body))


def update_playbook(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    values = wire.fields(call.body, PLAYBOOK_FIELDS, ignore=("playbookId",))
    values.pop("projectId", None)
    if "name" in values:
        resources.unique(call.state, "playbook", wire.name_of(values),
                         project=playbook.projectId, other_than=str(playbook.body["_id"]))
    if "timeout" in values and (not isinstance(values["timeout"], int)
                                or values["timeout"] < 1):
        raise wire.invalid("timeout", "must be at least 1 (ms)")
    if "steps" in values:
        raw = values["steps"]
        assert isinstance(raw, list)
        _check_steps(call.state, len(raw))
        values["steps"] = [_step(call.state, s) for s in raw]
    playbook.body.update(values)
    call.state.touch(playbook, call.user, call.now)
    return resources.ok({})


def delete_playbook(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    ident = str(playbook.body["_id"])
    for run in [d for d in call.state.of_kind("run", parent=ident)]:
        call.state.remove(str(run.body["_id"]))
    call.state.remove(ident)
    return resources.NO_CONTENT


def _find_step(call: Call, playbook: Doc) -> dict[str, JsonValue]:
    for step in _steps(playbook):
        if step["_id"] == call.params["stepId"]:
            return step
    raise wire.not_found("PlaybookStep", call.params["stepId"])


def create_step(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    _check_steps(call.state, len(_steps(playbook)) + 1)
    step = _step(call.state, call.body)
    _steps(playbook).append(step)
    call.state.touch(playbook, call.user, call.now)
    return resources.created(step)


def update_step(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    step = _find_step(call, playbook)
    values = wire.fields(call.body, STEP_FIELDS, ignore=("playbookId", "stepId", "_id"))
    if "asserts" in values:
        raw = values["asserts"]
        assert isinstance(raw, list)
        values["asserts"] = [_assert(call.state, a) for a in raw]
    step.update(copy.deepcopy(values))
    call.state.touch(playbook, call.user, call.now)
    return resources.ok({})


def delete_step(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    step = _find_step(call, playbook)
    _steps(playbook).remove(step)
    call.state.touch(playbook, call.user, call.now)
    return resources.NO_CONTENT


def _asserts(step: dict[str, JsonValue]) -> list[dict[str, JsonValue]]:
    found = step["asserts"]
    assert isinstance(found, list)
    return found  # type: ignore[return-value]


def _find_assert(call: Call, step: dict[str, JsonValue]) -> dict[str, JsonValue]:
    for item in _asserts(step):
        if item["_id"] == call.params["assertId"]:
            return item
    raise wire.not_found("PlaybookStepAssert", call.params["assertId"])


def create_assert(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    step = _find_step(call, playbook)
    item = _assert(call.state, call.body)
    _asserts(step).append(item)
    call.state.touch(playbook, call.user, call.now)
    return resources.created(item)


def update_assert(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    item = _find_assert(call, _find_step(call, playbook))
    values = wire.fields(call.body, ASSERT_FIELDS, ignore=("playbookId", "stepId",
                                                           "assertId"))
    if "type" in values and values["type"] not in ASSERT_TYPES:
        raise wire.invalid("type", f"must be one of {', '.join(sorted(ASSERT_TYPES))}")
    if "params" in values and not isinstance(values["params"], dict):
        raise wire.invalid("params", "must be an object")
    item.update(copy.deepcopy(values))
    call.state.touch(playbook, call.user, call.now)
    return resources.ok({})


def delete_assert(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    step = _find_step(call, playbook)
    _asserts(step).remove(_find_assert(call, step))
    call.state.touch(playbook, call.user, call.now)
    return resources.NO_CONTENT


# -- running ------------------------------------------------------------------------------

def _contains(whole: JsonValue, part: JsonValue) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v)
                                               for k, v in part.items())
    return whole == part


def _fill(state: TenantState, flow: Doc, text: str,
          context: dict[str, JsonValue]) -> dict[str, str]:
    """Run every slot filler of the flow on ``text``; returns name -> value found."""
    found: dict[str, str] = {}
    lexicons = flow.body.get("attachedLexicons") or []
    assert isinstance(lexicons, list)
    for filler in state.of_kind("slotfiller", parent=str(flow.body["_id"])):
        body = filler.body
        value: str | None = None
        if body.get("type") == "regex":
            try:
                value = extraction.parse_literal(str(body.get("regex", ""))).first(text)
            except extraction.RegexError:
                value = None
        elif body.get("type") == "slot":
            value = _keyphrase(state, [str(x) for x in lexicons], str(body.get("slot")), text)
        if value is None:
            continue
        key = str(body.get("contextKey") or body["name"])
        if body.get("skipIfResultInContext") and key in context:
            continue
        found[str(body["name"])] = value
        if body.get("slot"):
            found.setdefault(str(body["slot"]), value)
        if body.get("storeResultInContext", True):
            context[key] = value
            found.setdefault(key, value)
    return found


def _keyphrase(state: TenantState, lexicons: list[str], slot_name: str, text: str) -> str | None:
    for lexicon_id in lexicons:
        slots = {str(s.body["_id"]) for s in state.of_kind("lexiconslot", parent=lexicon_id)
                 if s.body["name"] == slot_name}
        for entry in state.of_kind("lexiconentry", parent=lexicon_id):
            refs = entry.body.get("slotReferences") or []
            assert isinstance(refs, list)
            if not slots.intersection(str(r) for r in refs):
                continue
            main = str(entry.body["mainKeyphrase"])
            extra = entry.body.get("keyphrases")
            phrases = [main] + [str(k["value"]) for k in (extra if isinstance(extra, list)
                                                          else []) if isinstance(k, dict)]
            if extraction.lexicon_hit(text, phrases):
                return main
    return None


def _judge(kind: str, params: dict[str, JsonValue], outcome: dict[str, JsonValue]) -> tuple[
        bool, dict[str, JsonValue]]:
    if kind == "assertText":
        got = str(outcome["text"])
        want = str(params.get("text", ""))
        passed = want.casefold() in got.casefold() if params.get("fuzzy") else got == want
        return passed, {"text": got}
    if kind in ("assertData", "assertContext"):
        got_data = outcome["data"] if kind == "assertData" else outcome["context"]
        want_data = params.get("data", {})
        passed = _contains(got_data, want_data) if params.get("partial") else \
            got_data == want_data
        return passed, {("data" if kind == "assertData" else "context"):
                        copy.deepcopy(got_data)}
    if kind == "assertState":
        return outcome["state"] == params.get("state"), {"state": outcome["state"]}
    if kind == "assertIntent":
        return outcome["intent"] == params.get("intent"), {"intent": outcome["intent"],
                                                           "score": outcome["score"]}
    slots = outcome["slots"]
    assert isinstance(slots, dict)
    return params.get("slot") in slots, {"slots": copy.deepcopy(slots)}


def evaluate(state: TenantState, playbook: Doc, flow: Doc) -> tuple[str, list[JsonValue]]:
    """The run's status and step results of ``playbook`` against ``flow`` as it is now."""
    context = copy.deepcopy(flow.body.get("context") or {})
    assert isinstance(context, dict)
    intents = resources.examples_of(state, str(flow.body["_id"]))
    responses = {str(d.body["name"]): d.response
                 for d in resources.intents_of(state, str(flow.body["_id"]))}
    results: list[JsonValue] = []
    failed = False
    for step in _steps(playbook):
        text = str(step.get("text") or "")
        if failed and playbook.body.get("abortOnError"):
            results.append({"_id": step["_id"], "status": "failed", "text": text,
                            "data": copy.deepcopy(step.get("data")), "timeout": False,
                            "asserts": [{"_id": a["_id"], "type": a["type"],
                                         "status": "failed", "params": a["params"],
                                         "actual": {}} for a in _asserts(step)]})
            continue
        intent, score = nlu.recognise(intents, text)
        slots = _fill(state, flow, text, context)
        outcome: dict[str, JsonValue] = {
            "text": responses.get(intent, "") if intent else "", "intent": intent,
            "score": score, "slots": dict(slots), "context": copy.deepcopy(context),
            "data": copy.deepcopy(step.get("data") or {}), "state": "default"}
        judged: list[JsonValue] = []
        step_ok = True
        for item in _asserts(step):
            params = item.get("params") or {}
            assert isinstance(params, dict)
            passed, actual = _judge(str(item["type"]), params, outcome)
            if params.get("negate"):
                passed = not passed
            step_ok = step_ok and passed
            judged.append({"_id": item["_id"], "type": item["type"],
                           "status": "successful" if passed else "failed",
                           "params": copy.deepcopy(params), "actual": actual})
        failed = failed or not step_ok
        results.append({"_id": step["_id"], "status": "successful" if step_ok else "failed",
                        "text": text, "data": copy.deepcopy(step.get("data")),
                        "timeout": False, "asserts": judged})
    return ("failed" if failed else "successful"), results


def _flow_by_reference(state: TenantState, project: str, ident: str) -> Doc:
    for flow in state.of_kind("flow", project=project):
        if ident in (flow.body["referenceId"], flow.body["_id"]):
            return flow
    raise wire.not_found("Flow", ident)


def schedule_playbook(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    values = wire.fields(call.body, {"entrypoint": "str", "flowId": "str", "localeId": "str"},
                         required=("entrypoint", "flowId", "localeId"), ignore=("playbookId",))
    if values["entrypoint"] != playbook.projectId:
        raise wire.invalid("entrypoint", "must be the playbook's project (snapshots are not "
                           "emulated as entrypoints)")
    flow = _flow_by_reference(call.state, playbook.projectId, str(values["flowId"]))
    locale = resources.locale_of(call.state, playbook.projectId, str(values["localeId"]))
    run_id = call.state.new_id()
    task = tasks.start(call.state, project=playbook.projectId, kind="playbookRun",
                       seconds=call.state.settings.playbookSeconds, user=call.user,
                       now=call.now, parameters={"playbookId": playbook.body["_id"]},
                       data={"playbookId": playbook.body["_id"], "playbookRunId": run_id},
                       payload={"playbookId": playbook.body["_id"], "runId": run_id,
                                "flowId": flow.body["_id"], "entrypoint": values["entrypoint"],
                                "flowReference": flow.body["referenceId"],
                                "localeReference": locale.body["referenceId"]})
    return wire.Answer(202, {"_id": task.id})


def _run_effect(state: TenantState, task: TaskRecord, at: float) -> None:
    payload = task.payload
    playbook = state.docs.get(str(payload["playbookId"]))
    flow = state.docs.get(str(payload["flowId"]))
    if playbook is None or flow is None:
        raise tasks.TaskFailed("the playbook or its flow was deleted before the run")
    run_status, results = evaluate(state, playbook, flow)
    state.add("run", {"status": run_status, "stepResults": results,
                      "flowId": payload["flowReference"], "localeId": payload["localeReference"],
                      "entrypoint": payload["entrypoint"], "playbookId": playbook.body["_id"]},
              project=playbook.projectId, parent=str(playbook.body["_id"]), user=task.createdBy,
              now=at, ident=str(payload["runId"]))


tasks.EFFECTS["playbookRun"] = _run_effect


def index_runs(call: Call) -> wire.Answer:
    playbook = _playbook(call)
    keep = ("_id", "status", "createdAt", "lastChanged", "createdBy", "lastChangedBy")
    items = [{k: copy.deepcopy(v) for k, v in d.body.items() if k in keep}
             for d in call.state.of_kind("run", parent=str(playbook.body["_id"]))]
    return resources.ok(wire.page(items, call.query))


def _run(call: Call) -> Doc:
    playbook = _playbook(call)
    run = call.state.docs.get(call.params["playbookRunId"])
    if run is None or run.kind != "run" or run.parent != playbook.body["_id"]:
        raise wire.ApiError(404, "Playbook run does not exist", code=1002)
    return run


def read_run(call: Call) -> wire.Answer:
    return resources.ok(copy.deepcopy(_run(call).body))


def delete_run(call: Call) -> wire.Answer:
    call.state.remove(str(_run(call).body["_id"]))
    return resources.NO_CONTENT


P = "/playbooks/{playbookId}"
ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/playbooks", index_playbooks, "indexPlaybooks"),
    Endpoint("POST", "/playbooks", create_playbook, "createPlaybook"),
    Endpoint("GET", P, read_playbook, "readPlaybook"),
    Endpoint("PATCH", P, update_playbook, "updatePlaybook"),
    Endpoint("DELETE", P, delete_playbook, "deletePlaybook"),
    Endpoint("POST", P + "/steps", create_step, "createPlaybookStep"),
    Endpoint("PATCH", P + "/steps/{stepId}", update_step, "updatePlaybookStep"),
    Endpoint("DELETE", P + "/steps/{stepId}", delete_step, "deletePlaybookStep"),
    Endpoint("POST", P + "/steps/{stepId}/asserts", create_assert, "createPlaybookStepAssert"),
    Endpoint("PATCH", P + "/steps/{stepId}/asserts/{assertId}", update_assert,
             "updatePlaybookStepAssert"),
    Endpoint("DELETE", P + "/steps/{stepId}/asserts/{assertId}", delete_assert,
             "deletePlaybookStepAssert"),
    Endpoint("POST", P + "/schedule", schedule_playbook, "schedulePlaybook"),
    Endpoint("GET", P + "/runs", index_runs, "indexPlaybookRuns"),
    Endpoint("GET", P + "/runs/{playbookRunId}", read_run, "readPlaybookRun"),
    Endpoint("DELETE", P + "/runs/{playbookRunId}", delete_run, "deletePlaybookRun"),
]
