"""Integrations on api cognigy-ai against the v2 emulator in-process: HTTP Request nodes in
the integrations flow, Connections holding the secret (write-only), drift by hashing nodes."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest

from reconciler import errors
from reconciler.backend.cognigy_ai import adapter, integrations, mapping
from reconciler.core import livetypes as lt
from reconciler.core import normalizing
from reconciler.emulator.cognigy_ai.records import Doc

from .test_adapter import World, run, under_faults

SECRET = "canary-7f3a9c-do-not-print"


def body(name: str = "crm_lookup", **config: Any) -> lt.IntegrationWrite:
    written: dict[str, Any] = {
        "bot_id": "support", "name": name, "description": "Look the order up",
        "status": "ACTIVE", "labels": {"managed-by": "cogctl", "cogctl/applied-hash": "h1",
                                       "team": "crm"},
        "config": {"url": "https://crm.example.com/orders", "method": "POST",
                   "auth_type": "api_key", "auth_header_name": "X-API-Key",
                   "headers": {"Accept": "application/json"},
                   "request_mapping": {"body": {"order": "{{slots.order_number}}"}},
                   "response_mapping": {"extract": None, "normalize": "none"},
                   "timeout_seconds": 8, "auth_secret": SECRET, **config}}
    return cast(lt.IntegrationWrite, written)


def docs(world: World, kind: str) -> list[Doc]:
    return [d for d in world.state.docs.values() if d.kind == kind]


def nodes(world: World) -> list[Doc]:
    return [d for d in docs(world, "chartnode") if d.body["type"] == "httpRequest"]


@pytest.fixture
def world() -> World:
    return World()


def test_a_created_integration_is_one_node_and_one_connection_and_reads_back_as_written(
        world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> tuple[lt.LiveIntegration,
                                                         list[lt.LiveIntegration]]:
        made = await b.create_integration(body())
        return made, await b.list_integrations("support")

    made, listed = run(world, work)
    [node] = nodes(world)
    [connection] = docs(world, "connection")
    flow = world.state.docs[node.parent]
    assert flow.body["name"] == "cogctl-integrations"
    assert node.body["label"] == "crm_lookup"
    config = cast(dict[str, Any], node.body["config"])
    assert config["type"] == "POST"
    assert config["authType"] == "apiKeyXKey"
    assert config["apiKeyXKeyConnection"] == connection.body["referenceId"]
    assert config["payloadJSON"] == {"order": "{{context.order_number}}"}
    assert config["timeout"] == 8000
    assert connection.secret == {"authApiKey": SECRET}
    assert listed == [made]
    assert made["config"]["request_mapping"] == {"body": {"order": "{{slots.order_number}}"}}
    assert made["labels"]["team"] == "crm"
    assert made["auth_secret_sha256"] == normalizing.secret_sha256(made["id"], SECRET)
    state = [d for d in docs(world, "flow") if d.body["name"] == mapping.STATE_FLOW]
    assert SECRET not in str(state[0].body)  # only the fingerprint is kept


def test_an_unchanged_secret_writes_nothing_and_a_changed_one_one_connection_patch(
        world: World) -> None:
    made = run(world, lambda b: b.create_integration(body()))
    world.admin("DELETE", "/_emulator/requests")

    async def again(b: adapter.CognigyAiBackend, secret: str) -> lt.LiveIntegration:
        live = {i["name"]: i for i in await b.list_integrations("support")}["crm_lookup"]
        return await b.put_integration(live["id"], body(auth_secret=secret),
                                       if_match=live["version"])

    run(world, lambda b: again(b, SECRET))
    assert world.writes() == []
    stored = run(world, lambda b: again(b, "rotated-secret"))
    connection_id = docs(world, "connection")[0].body["_id"]
    assert world.writes()[0] == ("PATCH", f"/new/v2.0/connections/{connection_id}")
    patches = [w for w in world.writes() if "/connections/" in w[1]]
    assert len(patches) == 1
    assert not [w for w in world.writes() if "/chart/" in w[1]]
    assert docs(world, "connection")[0].secret == {"authApiKey": "rotated-secret"}
    assert stored["auth_secret_sha256"] != made["auth_secret_sha256"]


def test_an_out_of_band_node_edit_reads_from_the_node_and_a_stale_version_is_refused(
        world: World) -> None:
    made = run(world, lambda b: b.create_integration(body()))
    [node] = nodes(world)
    config = cast(dict[str, Any], node.body["config"])
    config["url"] = "https://evil.example.com/"
    config["contextKey"] = "elsewhere"
    world.admin("DELETE", "/_emulator/requests")

    async def work(b: adapter.CognigyAiBackend) -> lt.LiveIntegration:
        [live] = await b.list_integrations("support")
        with pytest.raises(errors.VersionConflictError):
            await b.put_integration(live["id"], body(), if_match=made["version"])
        return live

    live = run(world, work)
    assert live["config"]["url"] == "https://evil.example.com/"
    assert live["labels"][integrations.EDITED_LABEL] == "contextKey"
    assert live["version"] != made["version"]
    assert world.writes() == []


def test_delete_removes_the_node_its_connection_and_the_record(world: World) -> None:
    made = run(world, lambda b: b.create_integration(body()))

    async def work(b: adapter.CognigyAiBackend) -> list[lt.LiveIntegration]:
        [live] = await b.list_integrations("support")
        await b.delete_integration(live["id"], if_match=live["version"])
        return await b.list_integrations("support")

    assert run(world, work) == []
    assert nodes(world) == []
    assert docs(world, "connection") == []
    state = next(d for d in docs(world, "flow") if d.body["name"] == mapping.STATE_FLOW)
    assert made["id"] not in str(state.body["context"])


def test_nodes_cogctl_did_not_record_are_unmanaged_and_other_bots_nodes_are_not_listed(
        world: World) -> None:
    run(world, lambda b: b.create_integration(body()))
    [node] = nodes(world)
    foreign = copy.deepcopy(node.body)
    for ident, label, comment in (("65f0c0ffee00000000000f01", "by_hand", "hand made"),
                                  ("65f0c0ffee00000000000f02", "other",
                                   "cogctl:Integration/orders/other")):
        world.state.docs[ident] = Doc(kind="chartnode", projectId=node.projectId,
                                      parent=node.parent, body={
                                          **foreign, "_id": ident, "label": label,
                                          "comment": comment})
    listed = {i["name"]: i for i in run(world, lambda b: b.list_integrations("support"))}
    assert sorted(listed) == ["by_hand", "crm_lookup"]
    assert "managed-by" not in listed["by_hand"]["labels"]
    assert listed["crm_lookup"]["labels"]["managed-by"] == "cogctl"


def test_a_lost_create_answer_adopts_the_node_and_the_connection(world: World) -> None:
    world.admin("PUT", "/_emulator/faults", {"sequence": ["commit-then-503",
                                                          "commit-then-503"]})
    made = run(world, lambda b: b.create_integration(body()))
    assert len(nodes(world)) == 1
    assert len(docs(world, "connection")) == 1
    assert made["auth_secret_sha256"] == normalizing.secret_sha256(made["id"], SECRET)


@pytest.mark.parametrize(("auth", "header", "kind", "fields"), [
    ("bearer", None, "http_apiKeyAuthKey", {"authApiKey": f"Bearer {SECRET}"}),
    ("api_key", "Authorization", "http_apiKeyAuthKey", {"authApiKey": SECRET}),
    ("basic", None, "http_basic", {"username": "ann", "password": SECRET}),
])
def test_each_auth_has_its_native_connection(world: World, auth: str, header: str | None,
                                             kind: str, fields: dict[str, str]) -> None:
    secret = f"ann:{SECRET}" if auth == "basic" else SECRET
    run(world, lambda b: b.create_integration(body(auth_type=auth, auth_header_name=header,
                                                   auth_secret=secret)))
    [connection] = docs(world, "connection")
    assert connection.body["type"] == kind
    assert connection.secret == fields


def test_a_changed_auth_type_replaces_the_connection_and_none_drops_it(world: World) -> None:
    run(world, lambda b: b.create_integration(body()))

    async def put(b: adapter.CognigyAiBackend, **config: Any) -> lt.LiveIntegration:
        [live] = await b.list_integrations("support")
        return await b.put_integration(live["id"], body(**config), if_match=live["version"])

    run(world, lambda b: put(b, auth_type="basic", auth_header_name=None,
                             auth_secret="u:p"))
    assert [c.body["type"] for c in docs(world, "connection")] == ["http_basic"]
    stored = run(world, lambda b: put(b, auth_type="none", auth_header_name=None,
                                      auth_secret=None))
    assert docs(world, "connection") == []
    assert cast(dict[str, Any], nodes(world)[0].body["config"])["authType"] == "none"
    assert stored["auth_secret_sha256"] is None


def test_a_named_integrations_flow_must_exist(world: World) -> None:
    bots = {"support": adapter.projects.CognigyAiBot(
        project="Customer Support", flow="Main", locale="en-US", integrationsFlow="Nope")}
    with pytest.raises(errors.ConfigError, match="Nope"):
        run(world, lambda b: b.create_integration(body()), bots=bots)
    assert nodes(world) == []


def test_thirty_percent_faults_leave_no_duplicate_nodes_or_connections(world: World) -> None:
    names = [f"api_{i}" for i in range(5)]

    async def converge(b: adapter.CognigyAiBackend) -> int:
        failed = 0
        live = {i["name"]: i for i in await b.list_integrations("support")}
        for name in names:
            try:
                if name in live:
                    await b.put_integration(live[name]["id"], body(name),
                                            if_match=live[name]["version"])
                else:
                    await b.create_integration(body(name))
            except errors.BackendError:
                failed += 1
        return failed

    under_faults(world, 11, converge)
    labels = sorted(str(n.body["label"]) for n in nodes(world))
    assert labels == names
    assert len(docs(world, "connection")) == len(names)
    live = run(world, lambda b: b.list_integrations("support"))
    assert all(i["labels"].get("managed-by") == "cogctl" for i in live)
