"""Asynchronous tasks: training, playbook runs, snapshot create/restore/delete.

A task is ``queued`` for ``settings.taskQueueSeconds``, then ``active`` for its run time
(``trainingSeconds``, ``playbookSeconds`` or ``snapshotSeconds``), then ``done`` or
``error``; all read from the injected clock, no background work. ``settle`` (run before
every request) commits the outcome of each task whose time is up, through the effect its
type registered in ``EFFECTS``; an effect that raises ``TaskFailed`` makes the task
``error`` with that ``failReason``. A cancelled task is ``cancelled`` and commits nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

from pydantic import JsonValue

from reconciler import extraction
from reconciler.emulator.cognigy_ai import nlu, resources, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.records import TaskRecord
from reconciler.emulator.cognigy_ai.state import TenantState

TOTAL_STEPS = 10


class TaskFailed(Exception):
    """Raised by an effect: the task ends in ``error`` with this message."""


Effect = Callable[[TenantState, TaskRecord, float], None]
EFFECTS: dict[str, Effect] = {}


def start(state: TenantState, *, project: str, kind: str, seconds: float, user: str,
          now: float, parameters: dict[str, JsonValue] | None = None,
          data: dict[str, JsonValue] | None = None,
          payload: dict[str, JsonValue] | None = None) -> TaskRecord:
    task = TaskRecord(id=state.new_id(), projectId=project, type=kind, createdAt=now,
                      queueSeconds=state.settings.taskQueueSeconds, runSeconds=seconds,
                      createdBy=user, parameters=parameters or {}, data=data or {},
                      payload=payload or {})
    state.tasks[task.id] = task
    return task


def _ends(task: TaskRecord) -> float:
    return task.createdAt + task.queueSeconds + task.runSeconds


def status(task: TaskRecord, now: float) -> str:
    if task.cancelledAt is not None:
        return "cancelled"
    if now < task.createdAt + task.queueSeconds:
        return "queued"
    if now < _ends(task) or not task.settled:
        return "active"
    return "error" if task.failReason else "done"


def settle(state: TenantState, now: float) -> None:
    for task in sorted(state.tasks.values(), key=lambda t: (_ends(t), t.id)):
        if task.settled or task.cancelledAt is not None or now < _ends(task):
            continue
        task.settled = True
        try:
            EFFECTS[task.type](state, task, _ends(task))
        except TaskFailed as exc:
            task.failReason = str(exc)


def _iso(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render(task: TaskRecord, now: float) -> dict[str, JsonValue]:
    current = status(task, now)
    started = task.createdAt + task.queueSeconds
    if current == "queued":
        step = 0
    elif current == "active":
        share = (now - started) / task.runSeconds if task.runSeconds else 1.0
        step = min(TOTAL_STEPS - 1, int(share * TOTAL_STEPS))
    else:
        step = TOTAL_STEPS
    finished = task.cancelledAt if task.cancelledAt is not None else _ends(task)
    changed = finished if current in ("done", "error", "cancelled") else (
        started if current == "active" else task.createdAt)
    return {
        "_id": task.id, "name": task.type, "type": task.type, "data": copy.deepcopy(task.data),
        "parameters": copy.deepcopy(task.parameters), "status": current,
        "currentStep": step, "totalStep": TOTAL_STEPS, "failReason": task.failReason,
        "lastRunAt": _iso(started) if current != "queued" else None,
        "lastFinishedAt": _iso(finished) if current in ("done", "error", "cancelled")
        else None,
        "createdAt": int(task.createdAt), "lastChanged": int(changed),
        "createdBy": task.createdBy, "lastChangedBy": task.createdBy,
        "projectId": task.projectId,
    }


def created(task: TaskRecord, now: float) -> wire.Answer:
    """The ``ICreatedTask_2_0`` answer of a request that started ``task``."""
    return wire.Answer(202, {
        "_id": task.id, "status": status(task, now), "type": task.type,
        "parameters": copy.deepcopy(task.parameters), "lastChangedAt": int(task.createdAt),
        "createdAt": int(task.createdAt),
    })


# -- endpoints ----------------------------------------------------------------------------

def index_tasks(call: Call) -> wire.Answer:
    project = call.scope()
    items = [render(t, call.now) for t in call.state.tasks.values()
             if project is None or t.projectId == project]
    return resources.ok(wire.page(items, call.query))


def _task(call: Call) -> TaskRecord:
    call.scope()
    task = call.state.tasks.get(call.params["taskId"])
    if task is None:
        raise wire.not_found("Task", call.params["taskId"])
    return task


def read_task(call: Call) -> wire.Answer:
    return resources.ok(render(_task(call), call.now))


def cancel_task(call: Call) -> wire.Answer:
    task = _task(call)
    if status(task, call.now) in ("queued", "active") and not task.settled:
        task.cancelledAt = call.now
    return resources.ok({})


# -- training -----------------------------------------------------------------------------

def train_flow(state: TenantState, flow_id: str, at: float) -> None:
    """Train one flow now: every regex slot filler must compile, then the feedback report
    is computed from the flow's intents."""
    flow = state.docs.get(flow_id)
    if flow is None or flow.kind != "flow":
        raise TaskFailed(f"Flow {flow_id} does not exist any more")
    for filler in state.of_kind("slotfiller", parent=flow_id):
        if filler.body.get("type") == "regex":
            try:
                extraction.parse_literal(str(filler.body.get("regex", "")))
            except extraction.RegexError as exc:
                raise TaskFailed(f"Invalid regex in slot filler {filler.body['name']}: "
                                 f"{exc}") from None
    report, scores = nlu.feedback(resources.examples_of(state, flow_id))
    low = [{"intentReferenceId": d.body["referenceId"], "intentName": d.body["name"],
            "intentId": d.body["_id"], "flowId": flow_id, "flowName": flow.body["name"]}
           for d in resources.intents_of(state, flow_id) if len(d.examples) <
           nlu.LOW_DATA_EXAMPLES]
    findings = report["findings"]
    if low and isinstance(findings, list):
        findings.append({"type": "lowDataIntents", "intents": low})  # type: ignore[dict-item]
    flow.body["feedbackReport"] = report
    for intent in resources.intents_of(state, flow_id):
        intent.body["feedbackReport"] = {
            "findings": [], "info": {"fScore": scores.get(str(intent.body["name"]), 0.0)}}


def _train_effect(state: TenantState, task: TaskRecord, at: float) -> None:
    flow_ids = task.payload.get("flowIds")
    assert isinstance(flow_ids, list)
    started = task.payload.get("seq")
    for flow_id in flow_ids:
        train_flow(state, str(flow_id), at)
        flow = state.docs[str(flow_id)]
        if isinstance(started, int) and flow.dirty <= started:
            flow.body["isTrainingOutOfDate"] = False


EFFECTS["trainIntents"] = _train_effect
EFFECTS["trainAllFlows"] = _train_effect


def train_intents(call: Call) -> wire.Answer:
    flow = call.doc("flow", "flowId", "Flow")
    values = wire.fields(call.body, {"localeId": "str", "mode": "str"})
    if values.get("mode", "full") not in ("full", "quick"):
        raise wire.invalid("mode", "must be full or quick")
    locale = resources.locale_of(call.state, flow.projectId,
                                 str(values["localeId"]) if "localeId" in values else None)
    task = start(call.state, project=flow.projectId, kind="trainIntents",
                 seconds=call.state.settings.trainingSeconds, user=call.user, now=call.now,
                 parameters={"flowId": flow.body["_id"], "localeId": locale.body["_id"],
                             "mode": values.get("mode", "full")},
                 data={"flowId": flow.body["_id"], "localeId": locale.body["_id"]},
                 payload={"flowIds": [flow.body["_id"]], "seq": call.state.seq})
    return created(task, call.now)


def train_all_project_flows(call: Call) -> wire.Answer:
    project = call.doc("project", "projectId", "Project")
    flow_ids: list[JsonValue] = [f.body["_id"] for f in
                                 call.state.of_kind("flow", project=str(project.body["_id"]))]
    task = start(call.state, project=str(project.body["_id"]), kind="trainAllFlows",
                 seconds=call.state.settings.trainingSeconds * max(1, len(flow_ids)),
                 user=call.user, now=call.now, parameters={"projectId": project.body["_id"]},
                 data={"projectId": project.body["_id"], "flowIds": list(flow_ids)},
                 payload={"flowIds": list(flow_ids), "seq": call.state.seq})
    return created(task, call.now)


ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/tasks", index_tasks, "indexTasks"),
    Endpoint("GET", "/tasks/{taskId}", read_task, "readTask"),
    Endpoint("POST", "/tasks/{taskId}/cancel", cancel_task, "cancelTask"),
    Endpoint("POST", "/flows/{flowId}/intents/train", train_intents, "trainIntents"),
    Endpoint("POST", "/projects/{projectId}/trainallflows", train_all_project_flows,
             "trainAllProjectFlows"),
]
