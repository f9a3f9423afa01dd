"""The lines progress events print as (pure); when they are shown is the display's business."""

from __future__ import annotations

import pytest

from reconciler.engine import progress
from reconciler.engine.applyresults import ChangeOutcome, Outcome
from reconciler.pipeline import progresslines


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (ChangeOutcome("Slot/b/a", "update", Outcome.APPLIED), "+ applied       Slot/b/a"),
        (ChangeOutcome("Slot/b/a", "update", Outcome.SKIPPED), "= skipped       Slot/b/a"),
        (ChangeOutcome("Slot/b/a", "create", Outcome.CONFLICT, "changed outside"),
         "! conflict      Slot/b/a: changed outside"),
        (ChangeOutcome("Slot/b/a", "delete", Outcome.FAILED, "503"),
         "x failed        Slot/b/a: 503"),
        (ChangeOutcome("Slot/b/a", "create", Outcome.NOT_ATTEMPTED, "dependency failed"),
         "- not attempted Slot/b/a: dependency failed"),
    ],
)
def test_change_line(event: ChangeOutcome, line: str) -> None:
    assert progresslines.change_line(event) == line


def test_verdict_waiting_case_and_retrain_lines() -> None:
    assert progresslines.verdict_line(progress.Verdict("Slot/b/a", True, "rate 0.95")) == (
        "pass Slot/b/a: rate 0.95")
    assert progresslines.verdict_line(progress.Verdict("Slot/b/a", False, "rate 0.5")) == (
        "FAIL Slot/b/a: rate 0.5")
    assert progresslines.waiting_line(progress.Waiting("metrics of bot_b", 3.0)) == (
        "waiting for metrics of bot_b")
    assert progresslines.case_line(progress.CaseDone("smoke", "c1", "failed", 2, 5, 1, 3.04)) == (
        "simulating smoke: 2/5 cases done, 1 not passed, after 3.0s")
    update = progress.RetrainUpdate("bot_b", "job_1", "running", 0.456, 12.25)
    assert progresslines.retrain_line(update, "b (bot_b)") == (
        "retraining b (bot_b): running 46% after 12.2s (job job_1)")
