"""Judging a case, measuring coverage, and the JUnit XML rendering (pure)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from reconciler.core import simulations
from reconciler.core.livetypes import Entity, Json, SimulationTurn
from reconciler.manifests import models
from reconciler.rendering import junit

XSD = Path(__file__).parent / "data" / "JUnit.xsd"


def case(**expect: Any) -> models.SimulationCase:
    return models.SimulationCase(id="test_one", userId="usr_1", utterance="where is my order",
                                 expect=models.CaseExpect(**expect))


def turn(*, turnIndex: int = 0, flowId: str | None = "flow_orders",
         intent: str | None = "order_status", entities: dict[str, Json] | None = None,
         response: str | None = "Your order ORD-1 ships today.", errorCode: str | None = None,
         errorMessage: str | None = None) -> SimulationTurn:
    return {"turnIndex": turnIndex, "flowId": flowId, "intent": intent,
            "entities": {"order_number": "ORD-1"} if entities is None else entities,
            "response": response, "errorCode": errorCode, "errorMessage": errorMessage}


@pytest.mark.parametrize(
    ("expect", "turns", "reasons"),
    [
        ({"intent": "order_status"}, [turn()], []),
        ({"intent": "ORDER_STATUS"}, [turn()], []),
        ({"intent": "refund"}, [turn()], ["intent: expected 'refund', got 'order_status'"]),
        ({"nextFlow": "flow_orders"}, [turn()], []),
        ({"nextFlow": "flow_x"}, [turn()], ["nextFlow: expected 'flow_x', got 'flow_orders'"]),
        ({"entities": {"order_number": "ord-1"}}, [turn()], []),
        ({"entities": {"ORDER_NUMBER": "ORD-1"}}, [turn()], []),
        ({"entities": {"order_number": "ORD-2"}}, [turn()],
         ["entity order_number: expected 'ORD-2', got 'ORD-1'"]),
        ({"entities": {"amount": 42}}, [turn(entities={"amount": "42"})], []),
        ({"entities": {"email": "a@b"}}, [turn()], ["entity email: expected 'a@b', not extracted"]),
        ({"responseContains": "ships TODAY"}, [turn()], []),
        ({"responseContains": "refund"}, [turn()], ["response does not contain 'refund'"]),
        ({"intent": "order_status"}, [turn(intent="greet"), turn(turnIndex=1)], []),
        ({"entities": {"order_number": "ORD-1"}},
         [turn(), turn(turnIndex=1, entities={})], []),
        ({}, [], ["the simulation completed without a turn"]),
    ],
)
def test_judge(expect: dict[str, Any], turns: list[SimulationTurn], reasons: list[str]) -> None:
    assert simulations.judge(case(**expect), turns) == reasons


def test_unknown_entities_are_found_case_insensitively() -> None:
    known: list[Entity] = [{"name": "Order_Number", "type": "slot"}, {"name": "email", "type": "sys"}]
    c = case(entities={"order_number": "x", "EMAIL": "y", "zip": "z"})
    assert simulations.unknown_entities(c, known) == ["zip"]


def test_turn_errors_become_misconfigurations_with_the_turn() -> None:
    turns = [turn(), turn(turnIndex=1, errorCode="FLOW_NOT_DEPLOYED", errorMessage="flow_x")]
    (problem,) = simulations.turn_errors("test_one", turns)
    assert (problem.code, problem.turn_index, problem.message) == ("FLOW_NOT_DEPLOYED", 1, "flow_x")


def _result(cid: str, status: simulations.CaseStatus, flows: list[str],
            reasons: tuple[str, ...] = ()) -> simulations.CaseResult:
    turns = tuple(turn(flowId=f) for f in flows)
    return simulations.CaseResult(id=cid, status=status, reasons=reasons, turns=turns,
                                  seconds=0.25)


def _report(*results: simulations.CaseResult, min_pass_rate: float = 0.95,
            expected: tuple[str, ...] = ("flow_a", "flow_b", "flow_c")) -> simulations.SuiteReport:
    return simulations.SuiteReport(
        address="SimulationSuite/support/smoke", bot_id="bot_support", cases=results,
        min_pass_rate=min_pass_rate,
        coverage=simulations.measure_coverage(expected, results), seconds=1.5,
    )


def test_a_flow_that_is_not_deployed_is_not_reached() -> None:
    result = simulations.CaseResult(
        id="test_h", status=simulations.CaseStatus.MISCONFIGURED, reasons=("x",),
        turns=(turn(flowId="flow_a", errorCode="FLOW_NOT_DEPLOYED"),
               turn(flowId="flow_b", errorCode="ENTITY_NOT_FOUND")))
    coverage = simulations.measure_coverage(["flow_a", "flow_b"], [result])
    assert coverage.hits == {"flow_b": 1}
    assert coverage.missing == ("flow_a",)


@pytest.mark.parametrize(("flows", "measured", "missing"), [
    ([None, None], False, ()),  # turns ran, none said its flow: nothing known missing
    ([None, "flow_a"], True, ("flow_b",)),
    ([], True, ("flow_a", "flow_b")),  # nothing ran: every expected flow is missing
])
def test_coverage_is_unmeasured_when_no_turn_reports_its_flow(
        flows: list[str | None], measured: bool, missing: tuple[str, ...]) -> None:
    result = simulations.CaseResult(
        id="test_m", status=simulations.CaseStatus.PASSED, reasons=(),
        turns=tuple(turn(flowId=flow) for flow in flows))
    coverage = simulations.measure_coverage(["flow_a", "flow_b"], [result])
    assert (coverage.measured, coverage.missing) == (measured, missing)
    assert coverage.to_json()["measured"] is measured


def test_coverage_counts_reached_missing_and_hits() -> None:
    report = _report(
        _result("test_a", simulations.CaseStatus.PASSED, ["flow_a", "flow_a"]),
        _result("test_b", simulations.CaseStatus.FAILED, ["flow_x"], ("intent: no",)),
    )
    coverage = report.coverage
    assert coverage.reached == ("flow_a",)
    assert coverage.missing == ("flow_b", "flow_c")
    assert coverage.share == pytest.approx(1 / 3)
    assert coverage.hits == {"flow_a": 2, "flow_x": 1}


@pytest.mark.parametrize(
    ("statuses", "min_rate", "rate", "passed"),
    [
        (["passed"] * 19 + ["failed"], 0.95, 0.95, True),
        (["passed"] * 18 + ["failed"] * 2, 0.95, 0.90, False),
        (["passed", "misconfigured"], 0.5, 0.5, True),
        (["passed", "timed_out"], 0.95, 0.5, False),
        (["misconfigured"], 0.0, 0.0, True),
    ],
)
def test_pass_rate_counts_every_case(statuses: list[str], min_rate: float, rate: float,
                                     passed: bool) -> None:
    results = [
        _result(f"test_{i}", simulations.CaseStatus(s), ["flow_a"],
                () if s == "passed" else ("why",))
        for i, s in enumerate(statuses)
    ]
    report = _report(*results, min_pass_rate=min_rate)
    assert report.pass_rate == pytest.approx(rate)
    assert report.passed is passed


def _junit_reports() -> list[simulations.SuiteReport]:
    return [
        _report(
            _result("test_ok", simulations.CaseStatus.PASSED, ["flow_a"]),
            _result("test_bad", simulations.CaseStatus.FAILED, ["flow_b"],
                    ("intent: expected 'a', got 'b'", "response does not contain 'x'")),
            _result("test_conf", simulations.CaseStatus.MISCONFIGURED, [],
                    ("turn 0: FLOW_NOT_DEPLOYED: <flow> & \x00 \"quoted\"",)),
            _result("test_slow", simulations.CaseStatus.TIMED_OUT, [], ("did not finish",)),
        ),
        _report(_result("test_only", simulations.CaseStatus.PASSED, ["flow_c"]),
                expected=()),
    ]


def test_junit_output_is_valid_against_the_junit_schema() -> None:
    text = junit.render(_junit_reports(), timestamp=dt.datetime(2026, 1, 2, 3, 4, 5,
                                                                tzinfo=dt.timezone.utc))
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(text)
    root = ET.fromstring(text.encode("utf-8"))
    first = root.findall("testsuite")[0]
    assert first.attrib["tests"] == "4"
    assert first.attrib["failures"] == "1"
    assert first.attrib["errors"] == "2"
    assert first.attrib["timestamp"] == "2026-01-02T03:04:05"
    cases = {c.attrib["name"]: c for c in first.findall("testcase")}
    assert list(cases["test_ok"]) == []
    failure = cases["test_bad"].find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "failed"
    assert "response does not contain 'x'" in (failure.text or "")
    error = cases["test_conf"].find("error")
    assert error is not None
    assert error.attrib["type"] == "misconfigured"
    assert "\x00" not in (error.text or "")
    timed = cases["test_slow"].find("error")
    assert timed is not None
    assert timed.attrib["type"] == "timed_out"
    props = {p.attrib["name"]: p.attrib["value"] for p in first.iter("property")}
    assert props["coverage.missing"] == "flow_c"
    assert props["passed"] == "false"


def test_the_schema_check_can_fail() -> None:
    text = junit.render(_junit_reports(), timestamp=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    broken = text.replace('timestamp="2026-01-02T00:00:00"', 'timestamp="yesterday"', 1)
    assert broken != text
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(XSD).validate(broken)
