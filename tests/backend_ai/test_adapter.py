"""``CognigyAiBackend`` against the v2 emulator in-process (``httpx.ASGITransport``), with one
fake clock shared by the client (retries, pacing) and the emulator (tasks, windows)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import pytest
from fakes import FakeClock

from reconciler import errors, extraction
from reconciler.backend.cognigy_ai import adapter, mapping
from reconciler.backend.httpkit import retrying
from reconciler.core import livetypes as lt
from reconciler.emulator.cognigy_ai import TenantState, create_app
from reconciler.manifests import projects

ROOT = Path(__file__).resolve().parents[2]
TENANT = ROOT / "manifests" / "fixtures" / "cognigy-ai-tenant.yaml"
BOTS = {"support": projects.CognigyAiBot(project="Customer Support", flow="Main",
                                         locale="en-US")}
T = TypeVar("T")


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.state = TenantState.from_fixture(TENANT)
        self.app = create_app(self.state, clock=self.clock)

    def backend(self, **kw: Any) -> adapter.CognigyAiBackend:
        policy = retrying.RetryPolicy(sleep=self.clock.sleep, clock=self.clock,
                                      jitter=lambda: 0.5, wall=self.clock)
        kw.setdefault("bots", BOTS)
        return adapter.CognigyAiBackend(
            base_url="http://emulator", api_key="demo-api-key",
            transport=httpx.ASGITransport(app=self.app), retry=policy, **kw)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        async def go() -> Any:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                         base_url="http://emulator") as client:
                answer = await client.request(method, path, json=body)
                return answer.json() if answer.content else None
        return asyncio.run(go())

    def writes(self) -> list[tuple[str, str]]:
        return [(e["method"], e["path"]) for e in self.admin("GET", "/_emulator/requests")
                if e["method"] != "GET"]

    def fillers(self, name: str) -> list[Any]:
        return [d for d in self.state.docs.values()
                if d.kind == "slotfiller" and d.body.get("name") == name]


def run(world: World, work: Callable[[adapter.CognigyAiBackend], Awaitable[T]],
        **kw: Any) -> T:
    async def go() -> T:
        async with world.backend(**kw) as backend:
            return await work(backend)
    return asyncio.run(go())


def body(name: str, patterns: list[str], **extra: Any) -> lt.SlotWrite:
    write: dict[str, Any] = {
        "botId": "support", "name": name, "type": "regex", "patterns": patterns,
        "fillStrategy": "firstMatch", "dependencies": [], "triggerRetrain": False,
        "labels": {"managed-by": "cogctl", "cogctl/applied-hash": "sha256:x"}, **extra}
    return write  # type: ignore[return-value]


@pytest.fixture
def world() -> World:
    return World()


def test_a_created_slot_reads_back_as_written_from_its_filler_and_the_state(
        world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> tuple[lt.LiveSlot, list[lt.LiveSlot]]:
        stored, job = await b.put_slot("plan-id-1", body("order_number", ["a", "b"]),
                                       create_only=True)
        assert job is None
        return stored, await b.list_slots("support")

    stored, listed = run(world, work)
    [filler] = world.fillers("order_number")
    assert filler.body["regex"] == mapping.join_patterns(["a", "b"], "firstMatch")
    assert extraction.parse_literal(filler.body["regex"]).first("b a") == "a"  # in order
    assert filler.body["referenceId"] == mapping.reference_id("Slot/support/order_number")
    [again] = [s for s in listed if s["name"] == "order_number"]
    assert again == stored
    assert again["patterns"] == ["a", "b"]
    assert again["fillStrategy"] == "firstMatch"
    assert again["labels"]["managed-by"] == "cogctl"
    flows = [d for d in world.state.docs.values()
             if d.kind == "flow" and d.body["name"] == mapping.STATE_FLOW]
    assert len(flows) == 1  # created on the first write, beside the entry flow


def test_a_no_op_read_of_recorded_fillers_lists_and_never_reads_each_one(
        world: World) -> None:
    run(world, lambda b: b.put_slot("p1", body("s1", ["x"]), create_only=True))
    world.admin("DELETE", "/_emulator/requests")
    run(world, lambda b: b.list_slots("support"))
    paths = [e["path"] for e in world.admin("GET", "/_emulator/requests")]
    assert not any("/slotfillers/" in p for p in paths), paths


def test_a_stale_version_is_a_conflict_and_nothing_is_written(world: World) -> None:
    stored, _ = run(world, lambda b: b.put_slot("p1", body("s1", ["x"]), create_only=True))
    [filler] = world.fillers("s1")
    filler_id = filler.body["_id"]
    world.state.docs[filler_id].body["regex"] = "/(?:y)/g"
    body_of = world.state.docs[filler_id].body
    body_of["lastChanged"] = cast(int, body_of["lastChanged"]) + 5  # edited outside cogctl
    world.admin("DELETE", "/_emulator/requests")

    async def work(b: adapter.CognigyAiBackend) -> None:
        live = {s["name"]: s for s in await b.list_slots("support")}["s1"]
        assert live["patterns"] == ["y"]  # the live regex shows, not the record
        with pytest.raises(errors.VersionConflictError):
            await b.put_slot(live["slotId"], body("s1", ["z"]), if_match=stored["version"])

    run(world, work)
    assert world.writes() == []
    assert world.state.docs[filler_id].body["regex"] == "/(?:y)/g"


def test_context_writes_keep_foreign_keys_and_keep_reserved_keys_out_of_the_flow(
        world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> lt.LiveContext:
        live = await b.get_context("support")
        return await b.patch_context("support", {
            "max_retries": {"value": 3, "scope": "conversation"},
            "_cogctl_applied": {"value": {"name": "d", "hash": "h", "keys": ["max_retries"]},
                                "scope": "global"},
        }, if_match=live["contextVersion"])

    stored = run(world, work)
    main: dict[str, Any] = world.state.docs["65f0c0ffee0000000000c001"].body
    assert main["context"] == {"language": "en", "max_retries": 3}
    assert stored["context"]["max_retries"] == {"value": 3, "scope": "conversation"}
    applied = cast(dict[str, Any], stored["context"]["_cogctl_applied"]["value"])
    assert applied["hash"] == "h"
    assert run(world, lambda b: b.get_context("support")) == stored

    with pytest.raises(errors.VersionConflictError):
        run(world, lambda b: b.patch_context("support", {"x": None}, if_match="stale"))


def test_retraining_is_one_train_task_for_the_flow_and_locale(world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> lt.RetrainJob:
        job = await b.start_retrain("support")
        world.clock.advance(60)
        return await b.get_job(job["jobId"])

    assert run(world, work)["status"] == "succeeded"
    assert [w for w in world.writes() if w[1].endswith("/intents/train")] == [
        ("POST", "/new/v2.0/flows/65f0c0ffee0000000000c001/intents/train")]


def test_an_unmapped_bot_says_how_to_map_it(world: World) -> None:
    with pytest.raises(errors.ConfigError, match="not mapped"):
        run(world, lambda b: b.list_slots("orders"))


def test_a_bad_key_names_the_key_as_the_cause(world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> None:
        b.http._key = "wrong"
        await b.list_slots("support")

    with pytest.raises(errors.UnauthorizedError) as caught:
        run(world, work)
    assert "COGNIGY_API_KEY" in str(caught.value)
    assert "wrong" not in str(caught.value)


def test_a_create_whose_answer_is_lost_is_adopted_not_repeated(world: World) -> None:
    world.admin("PUT", "/_emulator/faults", {"sequence": ["commit-then-503"]})
    stored, _ = run(world, lambda b: b.put_slot("p1", body("s1", ["x"]), create_only=True))
    assert len(world.fillers("s1")) == 1
    assert stored["patterns"] == ["x"]
    posts = [w for w in world.writes() if w[0] == "POST"]
    assert posts.count(("POST", "/new/v2.0/flows/65f0c0ffee0000000000c001/slotfillers")) == 1


FAULTS = {"kinds": ["503", "429", "commit-then-503"], "rate": 0.3}


def under_faults(world: World, seed: int,
                 converge: Callable[[adapter.CognigyAiBackend], Awaitable[int]]) -> None:
    """Run ``converge`` (it answers how many writes failed) at most twice under 30 % faults,
    commit-then-503 included; a run cut short by a failed read counts as failed."""
    world.admin("PUT", "/_emulator/faults", {**FAULTS, "seed": seed})
    for _ in range(2):
        try:
            if run(world, converge) == 0:
                break
        except errors.BackendError:
            continue
    world.admin("PUT", "/_emulator/faults", {})


async def put_slots(b: adapter.CognigyAiBackend, wanted: dict[str, lt.SlotWrite]) -> int:
    """Create or update each slot as a plan would; answers how many writes failed."""
    failed = 0
    live = {s["name"]: s for s in await b.list_slots("support")}
    for name, wanted_body in wanted.items():
        try:
            if name in live:
                await b.put_slot(live[name]["slotId"], wanted_body,
                                 if_match=live[name]["version"])
            else:
                await b.put_slot(f"plan-{name}", wanted_body, create_only=True)
        except errors.BackendError:
            failed += 1
    return failed


def test_thirty_percent_faults_converge_in_two_runs_without_duplicates(world: World) -> None:
    names = [f"slot_{i}" for i in range(8)]
    under_faults(world, 7, lambda b: put_slots(
        b, {name: body(name, [f"v{i}"]) for i, name in enumerate(names)}))
    for name in names:
        assert len(world.fillers(name)) == 1, name
    live = {s["name"]: s for s in run(world, lambda b: b.list_slots("support"))}
    assert all(live[n]["patterns"] == [f"v{i}"] for i, n in enumerate(names))
    assert all(live[n]["labels"].get("managed-by") == "cogctl" for n in names)
