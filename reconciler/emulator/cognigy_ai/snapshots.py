"""Snapshots: create, list, read, delete and restore, each a task where the client says so.

A snapshot holds copies of the project's flows (with their slot fillers, intents and chart
nodes), lexicons (with slots and entries), connections and playbooks; locales, profiles,
sessions, runs and other snapshots are not part of it. Restoring deletes those resources
and recreates them from the snapshot with new ``_id``s; ``referenceId``s are kept and every
reference between them (parents, attached lexicons, slot references, chart links) follows
the new ids. At most ``settings.maxSnapshotsPerProject`` snapshots per project. The created
snapshot's id is in the create task's ``data.snapshotId``.
"""

from __future__ import annotations

import copy
import hashlib
import json

from pydantic import JsonValue

from reconciler.emulator.cognigy_ai import resources, tasks, wire
from reconciler.emulator.cognigy_ai.calls import Call, Endpoint
from reconciler.emulator.cognigy_ai.records import Doc, TaskRecord
from reconciler.emulator.cognigy_ai.state import TenantState

CONTENT_KINDS = ("flow", "slotfiller", "intent", "chartnode", "lexicon", "lexiconslot",
                 "lexiconentry", "connection", "playbook")
VISIBLE = ("_id", "name", "description", "hash", "createdAt", "createdBy", "isPackaged",
           "packageExpiresAt", "projectId")


def _content(state: TenantState, project: str) -> list[dict[str, JsonValue]]:
    return [doc.model_dump(mode="json") for kind in CONTENT_KINDS
            for doc in state.of_kind(kind, project=project)]


def index_snapshots(call: Call) -> wire.Answer:
    items = [{k: copy.deepcopy(d.body.get(k)) for k in VISIBLE}
             for d in call.state.of_kind("snapshot", project=call.scope())]
    return resources.ok(wire.page(items, call.query))


def create_snapshot(call: Call) -> wire.Answer:
    values = wire.fields(call.body, {"projectId": "str", "name": "str", "description": "str"},
                         required=("projectId", "name", "description"))
    project = str(call.project(values["projectId"]).body["_id"])
    name = wire.name_of(values)
    pending = sum(1 for t in call.state.tasks.values() if t.type == "createSnapshot"
                  and t.projectId == project and not t.settled and t.cancelledAt is None)
    existing = sum(1 for _ in call.state.of_kind("snapshot", project=project))
    if existing + pending >= call.state.settings.maxSnapshotsPerProject:
        raise wire.invalid("projectId", f"a project holds at most "
                           f"{call.state.settings.maxSnapshotsPerProject} snapshots")
    resources.unique(call.state, "snapshot", name, project=project)
    snapshot_id = call.state.new_id()
    content = _content(call.state, project)
    task = tasks.start(call.state, project=project, kind="createSnapshot",
                       seconds=call.state.settings.snapshotSeconds, user=call.user,
                       now=call.now, parameters={"projectId": project, "name": name},
                       data={"snapshotId": snapshot_id, "name": name},
                       payload={"snapshotId": snapshot_id, "name": name,
                                "description": values["description"],
                                "content": content})  # type: ignore[dict-item]
    return tasks.created(task, call.now)


def _create_effect(state: TenantState, task: TaskRecord, at: float) -> None:
    content = task.payload["content"]
    assert isinstance(content, list)
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    doc = state.add("snapshot", {"name": task.payload["name"],
                                 "description": task.payload["description"], "hash": digest,
                                 "isPackaged": False, "packageExpiresAt": 0,
                                 "projectId": task.projectId},
                    project=task.projectId, user=task.createdBy, now=at,
                    ident=str(task.payload["snapshotId"]))
    doc.content = content  # type: ignore[assignment]
    task.payload = {"snapshotId": task.payload["snapshotId"]}


def _snapshot(call: Call) -> Doc:
    return call.doc("snapshot", "snapshotId", "Snapshot")


def read_snapshot(call: Call) -> wire.Answer:
    doc = _snapshot(call)
    return resources.ok({k: copy.deepcopy(doc.body.get(k)) for k in VISIBLE})


def delete_snapshot(call: Call) -> wire.Answer:
    doc = _snapshot(call)
    task = tasks.start(call.state, project=doc.projectId, kind="deleteSnapshot",
                       seconds=0, user=call.user, now=call.now,
                       parameters={"snapshotId": doc.body["_id"]},
                       data={"snapshotId": doc.body["_id"]},
                       payload={"snapshotId": doc.body["_id"]})
    return tasks.created(task, call.now)


def _delete_effect(state: TenantState, task: TaskRecord, at: float) -> None:
    state.remove(str(task.payload["snapshotId"]))


def restore_snapshot(call: Call) -> wire.Answer:
    doc = _snapshot(call)
    wire.fields(call.body, {}, ignore=("snapshotId", "projectId"))
    task = tasks.start(call.state, project=doc.projectId, kind="restoreSnapshot",
                       seconds=call.state.settings.snapshotSeconds, user=call.user,
                       now=call.now, parameters={"snapshotId": doc.body["_id"]},
                       data={"snapshotId": doc.body["_id"]},
                       payload={"snapshotId": doc.body["_id"]})
    return tasks.created(task, call.now)


def _remap(value: JsonValue, ids: dict[str, str]) -> JsonValue:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_remap(v, ids) for v in value]
    return value


def restore(state: TenantState, snapshot: Doc, user: str, at: float) -> None:
    project = snapshot.projectId
    for kind in CONTENT_KINDS:
        for doc in list(state.of_kind(kind, project=project)):
            state.remove(str(doc.body["_id"]))
    saved = [Doc.model_validate(copy.deepcopy(item)) for item in snapshot.content]
    ids = {str(doc.body["_id"]): state.new_id() for doc in saved}
    for doc in saved:
        new_id = ids[str(doc.body["_id"])]
        doc.body["_id"] = new_id
        doc.parent = ids.get(doc.parent, doc.parent)
        for key in ("attachedLexicons", "attachedFlows", "slotReferences"):
            if key in doc.body:
                doc.body[key] = _remap(doc.body[key], ids)
        doc.next = ids.get(doc.next, doc.next) if doc.next else doc.next
        doc.children = [ids.get(c, c) for c in doc.children]
        state.docs[new_id] = doc
        state.touch(doc, user, at)


def _restore_effect(state: TenantState, task: TaskRecord, at: float) -> None:
    snapshot = state.docs.get(str(task.payload["snapshotId"]))
    if snapshot is None or snapshot.kind != "snapshot":
        raise tasks.TaskFailed("the snapshot was deleted before the restore")
    restore(state, snapshot, task.createdBy, at)


tasks.EFFECTS["createSnapshot"] = _create_effect
tasks.EFFECTS["deleteSnapshot"] = _delete_effect
tasks.EFFECTS["restoreSnapshot"] = _restore_effect

ENDPOINTS: list[Endpoint] = [
    Endpoint("GET", "/snapshots", index_snapshots, "indexSnapshots"),
    Endpoint("POST", "/snapshots", create_snapshot, "createSnapshot"),
    Endpoint("GET", "/snapshots/{snapshotId}", read_snapshot, "readSnapshot"),
    Endpoint("DELETE", "/snapshots/{snapshotId}", delete_snapshot, "deleteSnapshot"),
    Endpoint("POST", "/snapshots/{snapshotId}/restore", restore_snapshot, "restoreSnapshot"),
]
