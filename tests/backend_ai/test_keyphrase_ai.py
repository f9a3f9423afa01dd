"""Keyphrase slots on api cognigy-ai against the v2 emulator in-process: a lexicon, its slot
and entries attached to the flow, a ``type: slot`` filler; drift and prune."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from reconciler import errors
from reconciler.backend.cognigy_ai import adapter
from reconciler.core import livetypes as lt
from reconciler.emulator.cognigy_ai.records import Doc
from reconciler.engine import fetching
from reconciler.ops import exporting

from .test_adapter import World, body, put_slots, run, under_faults

FLOW = "65f0c0ffee0000000000c001"


def keyphrase(name: str, patterns: list[str]) -> lt.SlotWrite:
    return body(name, patterns, type="keyphrase")


def docs(world: World, kind: str) -> list[Doc]:
    return [d for d in world.state.docs.values() if d.kind == kind]


def phrases(world: World) -> list[Any]:
    return sorted(str(d.body["mainKeyphrase"]) for d in docs(world, "lexiconentry"))


@pytest.fixture
def world() -> World:
    return World()


def test_a_keyphrase_slot_is_a_lexicon_attached_to_the_flow_and_a_slot_filler(
        world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> tuple[lt.LiveSlot, list[lt.LiveSlot]]:
        stored, _ = await b.put_slot("p1", keyphrase("airline", ["United", "Lufthansa"]),
                                     create_only=True)
        return stored, await b.list_slots("support")

    stored, listed = run(world, work)
    [lexicon] = docs(world, "lexicon")
    [slot] = docs(world, "lexiconslot")
    assert slot.body["name"] == "airline"
    assert phrases(world) == ["Lufthansa", "United"]
    assert all(d.body["slotReferences"] == [slot.body["_id"]]
               for d in docs(world, "lexiconentry"))
    assert lexicon.body["_id"] in world.state.docs[FLOW].body["attachedLexicons"]  # type: ignore[operator]
    [filler] = [d for d in docs(world, "slotfiller") if d.body["name"] == "airline"]
    assert (filler.body["type"], filler.body["slot"]) == ("slot", "airline")
    [again] = [s for s in listed if s["name"] == "airline"]
    assert again == stored
    assert again["type"] == "keyphrase"
    assert again["patterns"] == ["United", "Lufthansa"]  # the manifest's order


def test_a_changed_keyphrase_list_writes_only_the_difference(world: World) -> None:
    stored, _ = run(world, lambda b: b.put_slot("p1", keyphrase("airline", ["A", "B"]),
                                                create_only=True))
    world.admin("DELETE", "/_emulator/requests")

    async def work(b: adapter.CognigyAiBackend) -> lt.LiveSlot:
        [live] = [s for s in await b.list_slots("support") if s["name"] == "airline"]
        written, _ = await b.put_slot(live["slotId"], keyphrase("airline", ["B", "C"]),
                                      if_match=live["version"])
        return written

    written = run(world, work)
    assert phrases(world) == ["B", "C"]
    entry_writes = [w for w in world.writes() if "/entries" in w[1]]
    assert [w[0] for w in entry_writes] == ["DELETE", "POST"]
    assert written["patterns"] == ["B", "C"]
    assert written["version"] != stored["version"]


def test_an_entry_edited_outside_is_drift_and_the_old_version_is_a_conflict(
        world: World) -> None:
    stored, _ = run(world, lambda b: b.put_slot("p1", keyphrase("airline", ["A", "B"]),
                                                create_only=True))
    entry = next(d for d in docs(world, "lexiconentry") if d.body["mainKeyphrase"] == "B")
    entry.body["mainKeyphrase"] = "Z"
    world.admin("DELETE", "/_emulator/requests")

    async def work(b: adapter.CognigyAiBackend) -> lt.LiveSlot:
        [live] = [s for s in await b.list_slots("support") if s["name"] == "airline"]
        with pytest.raises(errors.VersionConflictError):
            await b.put_slot(live["slotId"], keyphrase("airline", ["A", "B"]),
                             if_match=stored["version"])
        return live

    live = run(world, work)
    assert sorted(live["patterns"]) == ["A", "Z"]
    assert world.writes() == []


def test_delete_detaches_and_removes_the_lexicon(world: World) -> None:
    run(world, lambda b: b.put_slot("p1", keyphrase("airline", ["A"]), create_only=True))

    async def work(b: adapter.CognigyAiBackend) -> None:
        [live] = [s for s in await b.list_slots("support") if s["name"] == "airline"]
        await b.delete_slot(live["slotId"], if_match=live["version"])

    run(world, work)
    assert docs(world, "lexicon") == []
    assert docs(world, "lexiconentry") == []
    assert world.state.docs[FLOW].body["attachedLexicons"] == []
    assert not [d for d in docs(world, "slotfiller") if d.body["name"] == "airline"]


def test_thirty_percent_faults_leave_one_lexicon_per_slot(world: World) -> None:
    names = [f"kp_{i}" for i in range(4)]
    under_faults(world, 5, lambda b: put_slots(
        b, {name: keyphrase(name, [f"w{i}", "x"]) for i, name in enumerate(names)}))
    assert sorted(str(d.body["name"]) for d in docs(world, "lexicon")) == sorted(
        f"cogctl-support-{n}" for n in names)
    live = {s["name"]: s for s in run(world, lambda b: b.list_slots("support"))}
    assert all(live[n]["patterns"] == [f"w{i}", "x"] for i, n in enumerate(names))


def test_a_keyphrase_slot_exports_as_the_manifest_it_came_from(world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> tuple[dict[str, str], Any]:
        await b.put_slot("p1", keyphrase("airline", ["United", "Lufthansa"]), create_only=True)
        live = await fetching.fetch_live_state(b, ["support"])
        return await exporting.refusals(b, "support"), live

    refused, live = run(world, work)
    assert "Slot/support/airline" not in refused
    result = exporting.export_bot(live, "support", "support", refused=refused)
    text = "".join(content for name, content in result.files.items() if "slots" in name)
    [document] = [d for d in yaml.safe_load_all(text) if d["metadata"]["name"] == "airline"]
    assert document["spec"]["type"] == "keyphrase"
    assert document["spec"]["patterns"] == ["United", "Lufthansa"]
