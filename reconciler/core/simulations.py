"""Simulation results, and the pure rules that judge a case and measure coverage.

A case ends in exactly one ``CaseStatus``: ``passed`` (every expectation met), ``failed``
(the bot answered, but not as expected; ``NO_INTENT_MATCH`` is such an answer),
``misconfigured`` (the suite or the bot is wrong: an expected entity the bot does not know,
or a turn carrying another platform error code such as ``FLOW_NOT_DEPLOYED``), or
``timed_out`` (the simulation never finished before its deadline).

Matching rules (documented for suite authors):
- ``intent`` and ``nextFlow`` are compared with the *last* turn (the turn the utterance ends
  in); intent names case-insensitively, flow ids exactly.
- ``entities``: every expected name must be among the entities of any turn (names
  case-insensitive, later turns win); values equal as JSON, or as strings after trimming and
  case-folding (``"ORD-1"`` matches ``"ord-1"``, ``42`` matches ``"42"``).
- ``responseContains``: a case-insensitive substring of the turns' responses joined by newlines.

The pass rate counts every case: a misconfigured or timed-out case is not a pass.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.core import livetypes as lt
from reconciler.manifests import models

ERROR_UNKNOWN_ENTITY = "UNKNOWN_ENTITY"
FLOW_NOT_DEPLOYED = "FLOW_NOT_DEPLOYED"
# Turn error codes that are the bot's answer (it did not understand), judged as failures;
# every other code says the setup is wrong and is a misconfiguration.
ANSWER_CODES: frozenset[str] = frozenset({"NO_INTENT_MATCH"})


class CaseStatus(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    MISCONFIGURED = "misconfigured"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class Misconfiguration:
    """A problem of the suite or the bot's setup, not of the bot's answers.

    ``turn_index`` is None when found before submitting (an unknown expected entity).
    """

    case_id: str
    code: str
    message: str
    turn_index: int | None = None

    def to_json(self) -> dict[str, lt.Json]:
        return {"case": self.case_id, "code": self.code, "message": self.message,
                "turn": self.turn_index}


@dataclass(frozen=True)
class CaseResult:
    """Invariant: ``reasons`` is empty exactly when ``status`` is ``PASSED``."""

    id: str
    status: CaseStatus
    reasons: tuple[str, ...] = ()
    turns: tuple[lt.SimulationTurn, ...] = ()
    simulation_id: str | None = None
    seconds: float = 0.0
    misconfigurations: tuple[Misconfiguration, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status is CaseStatus.PASSED

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "id": self.id,
            "status": self.status.value,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "simulationId": self.simulation_id,
            "seconds": round(self.seconds, 3),
            "turns": [_turn_json(turn) for turn in self.turns],
        }


def _turn_json(turn: lt.SimulationTurn) -> dict[str, lt.Json]:
    return {
        "turnIndex": turn.get("turnIndex"),
        "flowId": turn.get("flowId"),
        "intent": turn.get("intent"),
        "entities": dict(turn.get("entities") or {}),
        "response": turn.get("response"),
        "errorCode": turn.get("errorCode"),
        "errorMessage": turn.get("errorMessage"),
    }


@dataclass(frozen=True)
class Coverage:
    """Which expected flows the cases reached, and how often each flow was hit at all.
    ``measured`` is False when turns ran but none reported its flow (an API that does not
    say, as Cognigy.AI's playbook runs do not): then nothing is known to be missing."""

    expected: tuple[str, ...]
    hits: Mapping[str, int] = field(default_factory=dict)
    measured: bool = True

    @property
    def reached(self) -> tuple[str, ...]:
        return tuple(flow for flow in self.expected if self.hits.get(flow, 0) > 0)

    @property
    def missing(self) -> tuple[str, ...]:
        if not self.measured:
            return ()
        return tuple(flow for flow in self.expected if self.hits.get(flow, 0) == 0)

    @property
    def share(self) -> float:
        """Reached / expected; 1.0 when the suite expects no flow."""
        return len(self.reached) / len(self.expected) if self.expected else 1.0

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "expectedFlows": list(self.expected),
            "reached": list(self.reached),
            "missing": list(self.missing),
            "share": round(self.share, 4),
            "hits": dict(sorted(self.hits.items())),
            "measured": self.measured,
        }


@dataclass(frozen=True)
class SuiteReport:
    """One suite's outcome. ``passed`` means the pass rate reached ``min_pass_rate``."""

    address: str
    bot_id: str
    cases: tuple[CaseResult, ...]
    min_pass_rate: float
    coverage: Coverage
    seconds: float = 0.0

    @property
    def pass_rate(self) -> float:
        if not self.cases:
            return 0.0
        return sum(case.passed for case in self.cases) / len(self.cases)

    @property
    def passed(self) -> bool:
        return bool(self.cases) and self.pass_rate >= self.min_pass_rate

    @property
    def misconfigurations(self) -> tuple[Misconfiguration, ...]:
        return tuple(m for case in self.cases for m in case.misconfigurations)

    def counts(self) -> dict[str, int]:
        counted = Counter(case.status.value for case in self.cases)
        return {status.value: counted.get(status.value, 0) for status in CaseStatus}

    def to_json(self) -> dict[str, lt.Json]:
        return {
            "suite": self.address,
            "botId": self.bot_id,
            "passed": self.passed,
            "passRate": round(self.pass_rate, 4),
            "minPassRate": self.min_pass_rate,
            "counts": dict(self.counts()),
            "seconds": round(self.seconds, 3),
            "coverage": self.coverage.to_json(),
            "misconfigurations": [m.to_json() for m in self.misconfigurations],
            "cases": [case.to_json() for case in self.cases],
        }


def unknown_entities(case: models.SimulationCase, known: Sequence[lt.Entity]) -> list[str]:
    """Expected entity names the bot does not know (case-insensitive), in the case's order."""
    names = {entity["name"].casefold() for entity in known}
    return [name for name in case.expect.entities if name.casefold() not in names]


def _same_value(expected: lt.Json, actual: lt.Json) -> bool:
    if expected == actual:
        return True
    if isinstance(expected, (dict, list)) or isinstance(actual, (dict, list)):
        return False
    return str(expected).strip().casefold() == str(actual).strip().casefold()


def _entities_of(turns: Sequence[lt.SimulationTurn]) -> dict[str, lt.Json]:
    merged: dict[str, lt.Json] = {}
    for turn in turns:
        for name, value in (turn.get("entities") or {}).items():
            merged[name.casefold()] = value
    return merged


def judge(case: models.SimulationCase, turns: Sequence[lt.SimulationTurn]) -> list[str]:
    """Why a completed simulation does not meet the case's expectations; empty when it does."""
    if not turns:
        return ["the simulation completed without a turn"]
    expect, last = case.expect, turns[-1]
    reasons = [
        f"turn {turn.get('turnIndex', i)}: {code}: {turn.get('errorMessage') or code}"
        for i, turn in enumerate(turns)
        if (code := turn.get("errorCode")) in ANSWER_CODES
    ]
    if expect.intent is not None and (last.get("intent") or "").casefold() != (
        expect.intent.casefold()
    ):
        reasons.append(f"intent: expected {expect.intent!r}, got {last.get('intent')!r}")
    if expect.nextFlow is not None and last.get("flowId") != expect.nextFlow:
        reasons.append(f"nextFlow: expected {expect.nextFlow!r}, got {last.get('flowId')!r}")
    found = _entities_of(turns)
    for name, value in expect.entities.items():
        if name.casefold() not in found:
            reasons.append(f"entity {name}: expected {value!r}, not extracted")
        elif not _same_value(value, found[name.casefold()]):
            reasons.append(f"entity {name}: expected {value!r}, got {found[name.casefold()]!r}")
    if expect.responseContains is not None:
        said = "\n".join(turn.get("response") or "" for turn in turns)
        if expect.responseContains.casefold() not in said.casefold():
            reasons.append(f"response does not contain {expect.responseContains!r}")
    return reasons


def turn_errors(case_id: str, turns: Sequence[lt.SimulationTurn]) -> list[Misconfiguration]:
    """Platform error codes carried by turns (``FLOW_NOT_DEPLOYED``, ``ENTITY_NOT_FOUND``...)."""
    return [
        Misconfiguration(
            case_id=case_id,
            code=str(turn["errorCode"]),
            message=turn.get("errorMessage") or str(turn["errorCode"]),
            turn_index=turn.get("turnIndex", index),
        )
        for index, turn in enumerate(turns)
        if turn.get("errorCode") and turn.get("errorCode") not in ANSWER_CODES
    ]


def measure_coverage(
    expected_flows: Sequence[str], results: Sequence[CaseResult]
) -> Coverage:
    """Hits per flow over every turn of every case that ran, judged against the expected flows.

    A turn hits its flow when the flow ran: a turn answered ``FLOW_NOT_DEPLOYED`` names the
    flow it would have entered, but did not reach it. Turns that ran without any naming its
    flow leave the coverage unmeasured.
    """
    turns = [turn for result in results for turn in result.turns]
    hits: Counter[str] = Counter(
        flow
        for turn in turns
        if (flow := turn.get("flowId")) and turn.get("errorCode") != FLOW_NOT_DEPLOYED
    )
    measured = not turns or any(turn.get("flowId") for turn in turns)
    return Coverage(expected=tuple(expected_flows), hits=dict(hits), measured=measured)
