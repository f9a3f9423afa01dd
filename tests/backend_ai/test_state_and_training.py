"""cogctl's state flow and retraining on api cognigy-ai, against the v2 emulator in-process:
a state past one request is split over flows and read back whole, a concurrent writer is a
conflict that overwrites nothing, and training runs once per flow and locale."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from reconciler.backend.cognigy_ai import adapter, mapping, statestore
from reconciler.backend.httpkit import retrying
from reconciler.core import livetypes as lt
from reconciler.manifests import projects

from .test_adapter import World, body, run


def state_flows(world: World) -> dict[str, Any]:
    return {str(d.body["name"]): d.body for d in world.state.docs.values()
            if d.kind == "flow" and statestore.is_state_flow(d.body["name"])}


def big_labels(i: int) -> dict[str, str]:
    return {f"note{j}": f"{i}-{j}-" + "x" * 200 for j in range(10)}  # about 2.5 kB a record


def test_a_state_past_one_request_is_split_over_flows_and_read_back_whole(
        world: World) -> None:
    count = 40  # about 100 kB of state: three shards

    async def write(b: adapter.CognigyAiBackend) -> None:
        for i in range(count):
            await b.put_slot(f"p{i}", body(f"s{i}", [f"v{i}"], labels=big_labels(i)),
                             create_only=True)

    run(world, write)
    flows = state_flows(world)
    assert sorted(flows) == ["cogctl-state", "cogctl-state-2", "cogctl-state-3"]
    for flow in flows.values():
        assert len(json.dumps({"context": flow["context"]})) <= statestore.SHARD_BYTES + 1024
    assert flows["cogctl-state"]["context"]["shards"] == ["cogctl-state-2", "cogctl-state-3"]

    live = {s["name"]: s for s in run(world, lambda b: b.list_slots("support"))}
    assert len(live) == count
    assert all(live[f"s{i}"]["labels"]["note3"] == big_labels(i)["note3"]
               for i in range(count))


def test_a_state_that_shrinks_drops_the_flows_it_no_longer_needs(world: World) -> None:
    async def write(b: adapter.CognigyAiBackend) -> list[lt.LiveSlot]:
        for i in range(30):
            await b.put_slot(f"p{i}", body(f"s{i}", ["v"], labels=big_labels(i)),
                             create_only=True)
        return await b.list_slots("support")

    written = run(world, write)
    assert len(state_flows(world)) > 1

    async def shrink(b: adapter.CognigyAiBackend) -> None:
        live = {s["name"]: s for s in await b.list_slots("support")}
        for slot in written:
            await b.delete_slot(live[slot["name"]]["slotId"])

    run(world, shrink)
    flows = state_flows(world)
    assert list(flows) == ["cogctl-state"]
    assert "shards" not in flows["cogctl-state"]["context"]
    assert flows["cogctl-state"]["context"]["objects"] == {}


def test_a_concurrent_writer_is_a_conflict_and_its_state_is_kept(world: World) -> None:
    run(world, lambda b: b.put_slot("p0", body("first", ["a"]), create_only=True))

    async def race() -> None:
        async with world.backend() as late, world.backend() as early:
            await late.list_slots("support")  # reads the state
            await early.put_slot("p1", body("theirs", ["b"]), create_only=True)
            with pytest.raises(statestore.StateConflictError, match="another writer"):
                await late.put_slot("p2", body("mine", ["c"]), create_only=True)

    asyncio.run(race())
    objects = state_flows(world)["cogctl-state"]["context"]["objects"]
    assert sorted(objects) == ["Slot/support/first", "Slot/support/theirs"]


def test_concurrent_writes_share_state_saves_and_each_returns_only_once_saved(
        world: World) -> None:
    run(world, lambda b: b.put_slot("p0", body("first", ["a"]), create_only=True))
    [state_flow] = [d.body["_id"] for d in world.state.docs.values()
                    if d.kind == "flow" and d.body["name"] == "cogctl-state"]
    world.admin("DELETE", "/_emulator/requests")
    names = [f"s{i}" for i in range(8)]
    saved_when_returned: list[bool] = []

    async def work(b: adapter.CognigyAiBackend) -> None:
        async def one(name: str) -> None:
            await b.put_slot("p1", body(name, [name]), create_only=True)
            objects = state_flows(world)["cogctl-state"]["context"]["objects"]
            saved_when_returned.append(f"Slot/support/{name}" in objects)
        await asyncio.gather(*(one(n) for n in names))

    run(world, work)
    saves = [w for w in world.writes() if w == ("PATCH", f"/new/v2.0/flows/{state_flow}")]
    assert 1 <= len(saves) < len(names), saves  # a group commit, not one save per object
    assert saved_when_returned == [True] * len(names)  # no write returned before its record
    objects = state_flows(world)["cogctl-state"]["context"]["objects"]
    assert sorted(objects) == sorted(["Slot/support/first", *(f"Slot/support/{n}" for n in names)])


@pytest.mark.parametrize(("limit", "records", "shards"), [
    (statestore.SHARD_BYTES, 0, 1), (statestore.SHARD_BYTES, 3, 1), (2000, 12, 4),
])
def test_split_keeps_whole_records_within_the_limit_and_merges_back(
        limit: int, records: int, shards: int) -> None:
    state = mapping.empty_state()
    for i in range(records):
        state["objects"][f"Slot/b/s{i}"] = {"labels": {"n": "x" * 500}}
    state["contexts"]["b"] = {"scopes": {"k": "session"}, "reserved": {}}
    parts = statestore.split(state, limit)
    assert len(parts) == shards
    assert all(len(json.dumps(p)) <= limit for p in parts)
    assert statestore.merge(parts[0], parts[1:]) == state


def backend_for(world: World, bots: dict[str, projects.CognigyAiBot]) -> \
        adapter.CognigyAiBackend:
    policy = retrying.RetryPolicy(sleep=world.clock.sleep, clock=world.clock,
                                  jitter=lambda: 0.5, wall=world.clock)
    return adapter.CognigyAiBackend(base_url="http://emulator", api_key="demo-api-key",
                                    bots=bots, transport=httpx.ASGITransport(app=world.app),
                                    retry=policy)


def where(locale: str) -> projects.CognigyAiBot:
    return projects.CognigyAiBot(project="Customer Support", flow="Main", locale=locale)


@pytest.mark.parametrize(("locales", "tasks"), [
    (("en-US", "en-US"), 1), (("en-US", "de-DE"), 2),
])
def test_bots_sharing_a_flow_train_once_per_locale(
        world: World, locales: tuple[str, str], tasks: int) -> None:
    bots = {"a": where(locales[0]), "b": where(locales[1])}

    async def work() -> list[lt.RetrainJob]:
        async with backend_for(world, bots) as backend:
            jobs = await asyncio.gather(backend.start_retrain("a"), backend.start_retrain("b"))
            world.clock.advance(60)
            return [await backend.get_job(j["jobId"]) for j in jobs]

    done = asyncio.run(work())
    trains = [w for w in world.writes() if w[1].endswith("/intents/train")]
    assert len(trains) == tasks
    assert len({j["jobId"] for j in done}) == tasks
    assert all(j["status"] == "succeeded" for j in done)
    started = sorted(str(t.parameters["localeId"]) for t in world.state.tasks.values())
    assert len(started) == tasks


def test_a_training_started_after_the_last_one_ended_is_a_new_task(world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> list[str]:
        first = await b.start_retrain("support")
        progress = []
        for _ in range(10):
            world.clock.advance(0.3)
            progress.append((await b.get_job(first["jobId"])).get("progress", 0.0))
        world.clock.advance(60)
        second = await b.start_retrain("support")
        assert 0.0 < max(p for p in progress if p < 1.0) < 1.0  # polled with progress
        return [first["jobId"], second["jobId"]]

    first, second = run(world, work)
    assert first != second
