"""Verification verdicts (pure tables) and metric polling against the emulator in-process."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from reconciler.core import livetypes as lt
from reconciler.core import plans
from reconciler.engine import fetching, progress, verifying


def _check(minimum: float | None = 0.85, regression: float | None = 0.05) -> plans.VerifyCheck:
    return plans.VerifyCheck(
        address="Slot/support/order_number",
        check="extraction",
        bot_id="bot_support",
        slot_id="slot_1",
        min_extraction_rate=minimum,
        max_regression=regression,
    )


def _metrics(rate: float) -> lt.ExtractionMetrics:
    return {
        "slotId": "slot_1",
        "successRate": rate,
        "sampleSize": 10,
        "modelVersion": "m2",
        "timeRange": "last24h",
    }


@pytest.mark.parametrize(
    ("rate", "baseline", "minimum", "regression", "passed", "reason"),
    [
        (0.9, None, 0.85, 0.05, True, "success rate 0.900"),
        (0.85, None, 0.85, 0.05, True, "success rate 0.850"),  # the minimum itself passes
        (0.8, None, 0.85, 0.05, False, "below minimum 0.850"),
        (0.9, 0.95, 0.85, 0.05, True, "success rate 0.900"),  # a drop of exactly 0.05
        (0.9, 1.0, 0.85, 0.05, False, "dropped 0.100 from 1.000"),
        (0.7, 1.0, 0.85, 0.05, False, "below minimum 0.850; dropped 0.300"),
        (1.0, 0.5, 0.85, 0.05, True, "success rate 1.000"),  # an improvement
        (0.86, None, None, None, True, "success rate 0.860"),  # defaults 0.85 / 0.05
        (0.3, 0.3, 0.0, 0.0, True, "success rate 0.300"),
        (0.7 + 0.1 + 0.1, 0.9, 0.9, 0.0, True, "success rate 0.900"),  # float rounding
    ],
)
def test_judge_applies_minimum_and_regression(
    rate: float,
    baseline: float | None,
    minimum: float | None,
    regression: float | None,
    passed: bool,
    reason: str,
) -> None:
    verdict = verifying.judge(_check(minimum, regression), _metrics(rate), baseline)
    assert verdict.passed is passed
    assert reason in verdict.reason
    assert verdict.success_rate == rate
    assert verdict.baseline == baseline
    assert verdict.model_version == "m2"


def test_a_slot_with_no_sample_says_what_to_add() -> None:
    verdict = verifying.judge(_check(), {**_metrics(0.0), "sampleSize": 0}, None)
    assert not verdict.passed
    assert verdict.reason == ("success rate 0.000 below minimum 0.850 (no labelled sample was "
                              "measured: add examples or utterances)")
    measured = verifying.judge(_check(), _metrics(0.0), None)
    assert "no labelled sample" not in measured.reason


def test_judge_without_metrics_fails_and_says_why() -> None:
    verdict = verifying.judge(_check(), None, 0.9)
    assert not verdict.passed
    assert "metrics not ready" in verdict.reason


def test_report_passes_only_when_everything_passes() -> None:
    good = verifying.judge(_check(), _metrics(0.9), None)
    bad = verifying.judge(_check(), _metrics(0.1), None)
    assert verifying.VerifyReport("x", slots=(good,)).passed
    report = verifying.VerifyReport("x", slots=(good, bad))
    assert not report.passed
    assert report.failures() == [f"{bad.address}: {bad.reason}"]
    assert verifying.VerifyReport("x").passed  # nothing to verify is not a failure


async def _applied_slot(t: Any, backend: Any, name: str) -> lt.LiveSlot:
    """Every manifest applied through the in-process emulator; then bot_support's slot."""
    from test_applying import _apply_all

    await _apply_all(t, backend)
    live = await fetching.fetch_live_state(backend, ["bot_support"])
    slot = live.bot("bot_support").slot_named(name)
    assert slot is not None
    return slot


def test_metrics_not_ready_are_polled_until_training_ends() -> None:
    from test_applying import Tenant  # the in-process emulator harness

    async def body(t: Tenant) -> None:
        backend = t.backend()
        slot = await _applied_slot(t, backend, "order_number")
        check = dataclasses.replace(_check(), slot_id=slot["slotId"])
        await backend.put_slot(slot["slotId"], {
            "botId": "bot_support", "name": "order_number", "type": "regex",
            "patterns": [r"ORD-\d{6}"], "fillStrategy": "firstMatch", "dependencies": [],
            "triggerRetrain": True, "labels": slot["labels"],
        }, if_match=slot["version"])
        waits: list[progress.Event] = []
        started = t.clock()
        (verdict,) = await verifying.measure_extraction(
            backend, [check], baseline={check.address: 0.5}, deadline_seconds=30.0,
            poll_seconds=0.1, clock=t.clock, sleep=t.clock.sleep, on_event=waits.append,
            predicted={check.address: (0.75, 4)},
        )
        assert verdict.passed, verdict.reason
        assert verdict.baseline == 0.5
        assert (verdict.predicted_rate, verdict.predicted_examples) == (0.75, 4)
        assert verdict.to_json()["predictedRate"] == 0.75
        assert any(isinstance(e, progress.Waiting) for e in waits)  # it was not ready at first
        assert 0.1 <= t.clock() - started < 30.0
        await backend.aclose()

    asyncio.run(body(Tenant()))


def test_metrics_never_ready_fail_at_the_deadline() -> None:
    from test_applying import Tenant

    async def body(t: Tenant) -> None:
        backend = t.backend()
        slot = await _applied_slot(t, backend, "email")
        await backend.put_slot(slot["slotId"], {  # changed, and never retrained
            "botId": "bot_support", "name": "email", "type": "regex",
            "patterns": [r"[a-z]+@example\.org"], "fillStrategy": "bestMatch",
            "dependencies": slot["dependencies"], "triggerRetrain": False, "labels": {},
        })
        check = dataclasses.replace(_check(), address="Slot/support/email", slot_id=slot["slotId"])
        started = t.clock()
        (verdict,) = await verifying.measure_extraction(
            backend, [check], baseline={}, deadline_seconds=5.0, poll_seconds=0.5,
            clock=t.clock, sleep=t.clock.sleep,
        )
        assert not verdict.passed
        assert "metrics not ready" in verdict.reason
        assert t.clock() - started == pytest.approx(5.0, abs=0.01)
        await backend.aclose()

    asyncio.run(body(Tenant()))


def test_measured_beside_predicted_says_when_they_differ() -> None:
    measured = verifying.judge(_check(), _metrics(0.9), None)
    assert measured.comparison() is None  # no prediction: nothing to compare
    same = dataclasses.replace(measured, predicted_rate=0.9, predicted_examples=5)
    assert not same.predicted_differs
    assert same.comparison() == ("measured 0.900 on 10 labelled utterance(s) of the tenant, "
                                 "predicted 0.900 on 5 example(s) of the manifest")
    other = dataclasses.replace(measured, predicted_rate=1.0, predicted_examples=5)
    assert other.predicted_differs
    assert other.passed  # a comparison, not a threshold
    assert str(other.comparison()).endswith(
        ": they differ (the tenant's labelled utterances are not the manifest's examples)")
