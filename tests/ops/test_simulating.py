"""run_suite against the emulator in-process, time advanced by a fake clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fakes import DelegatingBackend

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt
from reconciler.core import simulations
from reconciler.engine import simulating
from reconciler.manifests import models

from .conftest import FakeClock, Tenant


def suite(*cases: dict[str, Any], flows: tuple[str, ...] = (), min_rate: float = 0.95,
          ) -> models.SimulationSuite:
    return models.SimulationSuite.model_validate({
        "apiVersion": "cogctl/v1", "kind": "SimulationSuite",
        "metadata": {"name": "smoke", "bot": "ops"},
        "spec": {"expectedFlows": list(flows), "minPassRate": min_rate, "cases": list(cases)},
    })


def case(cid: str, utterance: str, **expect: Any) -> dict[str, Any]:
    return {"id": cid, "userId": "usr_1", "utterance": utterance, "expect": expect}


def run(tenant: Tenant, s: models.SimulationSuite, **kw: Any) -> simulations.SuiteReport:
    async def go() -> simulations.SuiteReport:
        async with tenant.connected() as backend:
            return await simulating.run_suite(backend, s, bot_id="bot_ops", clock=tenant.clock,
                                              sleep=tenant.clock.sleep, **kw)
    return asyncio.run(go())


def test_a_passing_suite_with_coverage(tenant: Tenant) -> None:
    s = suite(
        case("test_order", "where is my order ORD-123456", intent="order_status",
             nextFlow="flow_orders", entities={"order_number": "ORD-123456"},
             responseContains="status of your order"),
        case("test_hello", "hello there", intent="greeting"),
        case("test_hi", "hi", intent="greeting", nextFlow="flow_greeting"),
        flows=("flow_orders", "flow_greeting", "flow_returns"),
    )
    report = run(tenant, s)
    assert [c.status for c in report.cases] == [simulations.CaseStatus.PASSED] * 3
    assert report.pass_rate == 1.0
    assert report.passed
    assert report.coverage.reached == ("flow_orders", "flow_greeting")
    assert report.coverage.missing == ("flow_returns",)
    assert report.coverage.hits == {"flow_orders": 1, "flow_greeting": 2}
    assert all(c.simulation_id for c in report.cases)


def test_failures_misconfigurations_and_unknown_entities(tenant: Tenant) -> None:
    s = suite(
        case("test_wrong_intent", "where is my order", intent="greeting"),
        case("test_not_deployed", "talk to a human", intent="human_handover"),
        case("test_unknown_entity", "where is my order", entities={"Tracking_Code": "x"}),
        case("test_entity_case", "track my order ORD-000001", entities={"ORDER_NUMBER": "ord-000001"}),
        case("test_gibberish", "zzz qqq", intent="greeting"),
    )
    requests_before = len(tenant.state.simulations)
    report = run(tenant, s)
    by_id = {c.id: c for c in report.cases}
    assert by_id["test_wrong_intent"].status is simulations.CaseStatus.FAILED
    assert by_id["test_wrong_intent"].reasons == (
        "intent: expected 'greeting', got 'order_status'",)
    assert by_id["test_not_deployed"].status is simulations.CaseStatus.MISCONFIGURED
    (problem,) = by_id["test_not_deployed"].misconfigurations
    assert (problem.code, problem.turn_index) == ("FLOW_NOT_DEPLOYED", 0)
    unknown = by_id["test_unknown_entity"]
    assert unknown.status is simulations.CaseStatus.MISCONFIGURED
    assert unknown.simulation_id is None  # never submitted
    assert unknown.misconfigurations[0].code == simulations.ERROR_UNKNOWN_ENTITY
    assert unknown.reasons[0] == "unknown entity 'Tracking_Code' (not among GET /api/bot/entities)"
    assert by_id["test_entity_case"].status is simulations.CaseStatus.PASSED
    gibberish = by_id["test_gibberish"]
    assert gibberish.status is simulations.CaseStatus.FAILED
    assert gibberish.reasons[0].startswith("turn 0: NO_INTENT_MATCH")
    assert len(tenant.state.simulations) - requests_before == 4
    assert report.pass_rate == pytest.approx(0.2)
    assert not report.passed
    assert {m.case_id for m in report.misconfigurations} == {"test_not_deployed",
                                                             "test_unknown_entity"}


def test_polling_backs_off_and_never_uses_a_fixed_loop(tenant: Tenant) -> None:
    tenant.state.settings.simulationSeconds = 30.0
    report = run(tenant, suite(case("test_slow", "hi", intent="greeting")))
    assert report.cases[0].status is simulations.CaseStatus.PASSED
    waits = [w for w in tenant.clock.sleeps if w >= simulating.FIRST_POLL_SECONDS]
    assert waits[:4] == [0.2, 0.4, 0.8, 1.6]
    assert max(waits) == simulating.MAX_POLL_SECONDS
    assert len(waits) < 20


def test_a_simulation_that_never_finishes_is_timed_out_not_a_hang(tenant: Tenant) -> None:
    tenant.state.settings.simulationSeconds = 10_000.0
    report = run(tenant, suite(case("test_stuck", "hi"), case("test_stuck2", "hello there")),
                 deadline_seconds=20.0)
    assert [c.status for c in report.cases] == [simulations.CaseStatus.TIMED_OUT] * 2
    assert "did not finish within 20s" in report.cases[0].reasons[0]
    # Both cases share the fake clock, so each also sees the other's waits advance time.
    assert all(20.0 <= c.seconds <= 20.0 + 2 * simulating.MAX_POLL_SECONDS for c in report.cases)


class _CountingBackend(DelegatingBackend):
    """Wraps a backend to measure how many simulations are in flight at once."""

    def __init__(self, inner: base.Backend, clock: FakeClock) -> None:
        super().__init__(inner)
        self.clock = clock
        self.active = self.peak = 0
        self.finished: set[str] = set()

    async def start_simulation(self, body: lt.SimulationRequest) -> str:
        self.active += 1
        self.peak = max(self.peak, self.active)
        return await self.inner.start_simulation(body)

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        sim = await self.inner.get_simulation(simulation_id)
        if sim["status"] == "completed" and simulation_id not in self.finished:
            self.finished.add(simulation_id)
            self.active -= 1
        return sim


@pytest.mark.parametrize("concurrency", [1, 3])
def test_concurrency_is_bounded(tenant: Tenant, concurrency: int) -> None:
    cases = [case(f"test_c{i}", "hi", intent="greeting") for i in range(8)]

    async def go() -> tuple[simulations.SuiteReport, int]:
        async with tenant.connected() as backend:
            counting = _CountingBackend(backend, tenant.clock)
            report = await simulating.run_suite(
                counting, suite(*cases), bot_id="bot_ops",
                concurrency=concurrency, clock=tenant.clock, sleep=tenant.clock.sleep)
            return report, counting.peak

    report, peak = asyncio.run(go())
    assert report.passed
    assert peak == concurrency


def test_an_error_that_dooms_the_run_stops_it(tenant: Tenant) -> None:
    async def go() -> None:
        async with tenant.connected(scopes=("cognigy:platform:read",), client_id="reader",
                                  secret="reader-secret") as backend:
            await simulating.run_suite(backend, suite(case("test_a", "hi")), bot_id="bot_ops",
                                       clock=tenant.clock, sleep=tenant.clock.sleep)

    with pytest.raises(errors.InsufficientScopeError):
        asyncio.run(go())


def test_summary_has_verdicts_not_turns(tenant: Tenant) -> None:
    report = run(tenant, suite(case("test_hi", "hi", intent="greeting"), flows=("flow_x",)))
    summary = simulating.summarize([report])
    assert summary == {
        "passed": True,
        "suites": [{
            "suite": "SimulationSuite/ops/smoke", "botId": "bot_ops", "passed": True,
            "passRate": 1.0, "minPassRate": 0.95,
            "counts": {"passed": 1, "failed": 0, "misconfigured": 0, "timed_out": 0},
            "coverage": 0.0, "missingFlows": ["flow_x"], "misconfigurations": 0,
        }],
    }


def test_every_finished_case_is_reported_with_the_count_so_far(tenant: Tenant) -> None:
    from reconciler.engine import progress

    events: list[progress.Event] = []
    s = suite(case("test_hello", "hello there", intent="greeting"),
              case("test_hi", "hi", intent="greeting"),
              case("test_wrong", "hi", intent="order_status"))
    report = run(tenant, s, on_event=events.append)
    done = [e for e in events if isinstance(e, progress.CaseDone)]
    assert sorted(e.case_id for e in done) == ["test_hello", "test_hi", "test_wrong"]
    assert [e.done for e in done] == [1, 2, 3]
    assert {e.total for e in done} == {3}
    assert done[-1].failed == 1 == report.counts()["failed"]
    assert [e.elapsed for e in done] == sorted(e.elapsed for e in done)
