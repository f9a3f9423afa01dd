"""Simulations and slot verification as playbooks, against the v2 emulator in-process: cases
and labelled examples become cogctl's playbooks, reused when unchanged, cleaned when not
wanted, judged from the runs; one fake clock drives the engine, the client and the tasks."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.backend.cognigy_ai import adapter, playbooks
from reconciler.core import livetypes as lt
from reconciler.core import simulations
from reconciler.engine import simulating
from reconciler.manifests import models

from .test_adapter import World, body, run


def suite(*cases: dict[str, Any], name: str = "smoke") -> models.SimulationSuite:
    return models.SimulationSuite.model_validate({
        "apiVersion": "cogctl/v1", "kind": "SimulationSuite",
        "metadata": {"name": name, "bot": "support"},
        "spec": {"expectedFlows": ["Main"], "minPassRate": 0.5, "cases": list(cases)}})


ORDER = {"id": "test_order", "userId": "usr_ann01", "utterance": "where is my order ORD-123456",
         "expect": {"intent": "order_status", "entities": {"order_number": "ORD-123456"},
                    "responseContains": "status of your order"}}
WRONG = {"id": "test_wrong", "userId": "usr_bob01", "utterance": "please change my email",
         "expect": {"intent": "order_status"}}


def slot(examples: list[dict[str, Any]], name: str = "order_number",
         **spec: Any) -> models.Slot:
    return models.Slot.model_validate({
        "apiVersion": "cogctl/v1", "kind": "Slot", "metadata": {"name": name, "bot": "support"},
        "spec": {"patterns": [r"\bORD-\d{6}\b"], "fillStrategy": "firstMatch",
                 "examples": examples, **spec}})


def playbook_names(world: World) -> list[str]:
    return sorted(str(d.body["name"]) for d in world.state.docs.values()
                  if d.kind == "playbook")


def steps_of(world: World, suffix: str) -> list[dict[str, Any]]:
    [found] = [d for d in world.state.docs.values()
               if d.kind == "playbook" and str(d.body["name"]).endswith(suffix)]
    steps: Any = found.body["steps"]
    return list(steps)


def run_suite(world: World, chosen: models.SimulationSuite) -> simulations.SuiteReport:
    async def work(b: adapter.CognigyAiBackend) -> simulations.SuiteReport:
        if not world.fillers("order_number"):  # the entity the cases name must be known
            await b.put_slot("p1", body("order_number", [r"\bORD-\d{6}\b"]),
                             create_only=True)
        return await simulating.run_suite(b, chosen, bot_id="support", clock=world.clock,
                                          sleep=world.clock.sleep)
    return run(world, work, manifests=[chosen])


def test_each_case_is_a_playbook_whose_run_the_core_judges(world: World) -> None:
    report = run_suite(world, suite(ORDER, WRONG))
    results = {c.id: c for c in report.cases}
    assert results["test_order"].status is simulations.CaseStatus.PASSED
    assert results["test_wrong"].status is simulations.CaseStatus.FAILED
    assert results["test_wrong"].reasons == ("intent: expected 'order_status', got "
                                             "'update_email'",)
    assert (report.coverage.hits, report.coverage.measured) == ({}, False)  # not reported
    assert playbook_names(world) == ["cogctl:sim:support:smoke:test_order",
                                     "cogctl:sim:support:smoke:test_wrong"]
    [step] = steps_of(world, "test_order")
    assert [a["type"] for a in step["asserts"]] == [
        "assertIntent", "assertSlot", "assertContext", "assertText"]
    assert not [d for d in world.state.docs.values() if d.kind == "run"]  # read, then deleted


def test_a_second_run_reuses_the_playbooks_and_a_removed_case_is_cleaned(world: World) -> None:
    run_suite(world, suite(ORDER, WRONG))
    world.admin("DELETE", "/_emulator/requests")
    report = run_suite(world, suite(ORDER))
    assert report.passed
    writes = [w for w in world.writes() if "/playbooks" in w[1]]
    assert ("POST", "/new/v2.0/playbooks") not in writes
    assert not [w for w in writes if w[0] == "PATCH"]
    assert [w[0] for w in writes].count("DELETE") == 2  # test_wrong's playbook, the run read
    assert playbook_names(world) == ["cogctl:sim:support:smoke:test_order"]


def test_a_changed_case_replaces_the_steps_of_its_playbook(world: World) -> None:
    run_suite(world, suite(ORDER))
    world.admin("DELETE", "/_emulator/requests")
    changed = {**ORDER, "expect": {"intent": "order_status"}}
    assert run_suite(world, suite(changed)).passed
    writes = [w for w in world.writes() if "/playbooks" in w[1]]
    assert [w[0] for w in writes if not w[1].endswith(("/schedule",)) and "/runs/" not in w[1]
            ] == ["PATCH"]


def test_a_case_not_among_the_manifests_is_misconfigured(world: World) -> None:
    async def work(b: adapter.CognigyAiBackend) -> simulations.SuiteReport:
        return await simulating.run_suite(b, suite(WRONG), bot_id="support",
                                          clock=world.clock, sleep=world.clock.sleep)
    report = run(world, work, manifests=[])
    assert report.cases[0].status is simulations.CaseStatus.MISCONFIGURED
    assert "not among the manifests" in report.cases[0].reasons[0]


EXAMPLES: list[dict[str, Any]] = [{"text": "where is my order ORD-123456", "value": "ORD-123456"},
            {"text": "track ORD-222222 for me", "value": "ORD-222222"},
            {"text": "order 12345678 please", "value": "12345678"},
            {"text": "hello there", "value": None}]


def measure(world: World, manifest: models.Slot, *, train: bool = True) -> lt.ExtractionMetrics:
    async def work(b: adapter.CognigyAiBackend) -> lt.ExtractionMetrics:
        name = manifest.metadata.name
        live = {s["name"]: s for s in await b.list_slots("support")}
        if name in live:
            stored = live[name]
        else:
            stored, _ = await b.put_slot("p1", body(
                name, list(manifest.spec.patterns), fillStrategy=manifest.spec.fillStrategy),
                create_only=True)
        if train:
            await b.start_retrain("support")
            world.clock.advance(60)
        return await b.get_extraction_metrics("support", stored["slotId"])
    return run(world, work, manifests=[manifest])


def test_extraction_rate_is_the_share_of_labelled_examples_the_playbook_passes(
        world: World) -> None:
    metrics = measure(world, slot(EXAMPLES))
    assert metrics["sampleSize"] == 4
    assert metrics["successRate"] == pytest.approx(0.75)  # the 8-digit order is not matched
    assert "fScore" in metrics["modelVersion"]
    assert "flow Main (en-US)" in metrics["modelVersion"]
    assert playbook_names(world) == ["cogctl:verify:support:order_number"]
    last = steps_of(world, ":order_number")[-1]["asserts"]
    assert last == [{"_id": last[0]["_id"], "type": "assertSlot",
                     "params": {"slot": "order_number", "negate": True}}]


def test_a_fuzzy_slot_passes_an_example_whose_value_comes_back_in_another_case(
        world: World) -> None:
    labelled: list[dict[str, Any]] = [
        {"text": "ticket TCK-12345", "value": "TCK-12345"},
        {"text": "any news on tck-54321", "value": "TCK-54321"},  # passes only case-folded
        {"text": "ticket TCK-11111", "value": "TCK-99999"}]  # a wrong value still fails
    metrics = measure(world, slot(labelled, name="ticket_id", patterns=[r"\btck-\d{5}\b"],
                                  fillStrategy="fuzzy"))
    assert (metrics["successRate"], metrics["sampleSize"]) == (pytest.approx(2 / 3), 3)


def test_metrics_are_not_ready_while_the_flow_is_not_trained(world: World) -> None:
    with pytest.raises(errors.MetricsNotReadyError):
        measure(world, slot(EXAMPLES), train=False)


def test_a_slot_without_examples_has_no_sample_and_no_playbook(world: World) -> None:
    metrics = measure(world, slot([]))
    assert (metrics["successRate"], metrics["sampleSize"]) == (0.0, 0)
    assert playbook_names(world) == []


def test_more_examples_than_a_playbook_holds_are_split_and_parts_no_longer_needed_go(
        world: World) -> None:
    many: list[dict[str, Any]] = [{"text": f"order ORD-{100000 + i}", "value": f"ORD-{100000 + i}"}
            for i in range(playbooks.MAX_STEPS + 5)]
    metrics = measure(world, slot(many))
    assert (metrics["successRate"], metrics["sampleSize"]) == (1.0, playbooks.MAX_STEPS + 5)
    assert playbook_names(world) == ["cogctl:verify:support:order_number",
                                     "cogctl:verify:support:order_number#2"]
    measure(world, slot(many[:3]))
    assert playbook_names(world) == ["cogctl:verify:support:order_number"]


def test_a_playbook_named_like_another_slots_is_left_alone(world: World) -> None:
    measure(world, slot(EXAMPLES[:1], name="order_number_2"))
    measure(world, slot(EXAMPLES[:1]))
    assert playbook_names(world) == ["cogctl:verify:support:order_number",
                                     "cogctl:verify:support:order_number_2"]
