"""The non-terminal progress display: one line per change and verdict, throttled training."""

from __future__ import annotations

import pytest
from fakes import FakeClock

from reconciler.cli import _progress
from reconciler.engine import progress


def _update(status: str, share: float, elapsed: float) -> progress.RetrainUpdate:
    return progress.RetrainUpdate("bot_a", "job_1", status, share, elapsed)


def test_training_prints_on_status_change_and_at_most_every_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock(start=0.0)
    with _progress.Display(live=False, interval=5.0, clock=clock) as display:
        for second in range(12):
            clock.now = float(second)
            display(_update("running" if second else "queued", second / 12, float(second)))
        clock.now = 12.0
        display(_update("succeeded", 1.0, 12.0))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].split()[0] for line in lines] == [
        "queued", "running", "running", "running", "succeeded",
    ]
    assert lines[1].startswith("retraining bot_a: running 8% after 1.0s")
    assert "after 6.0s" in lines[2]
    assert "after 11.0s" in lines[3]


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (progress.ChangeDone("Slot/b/x", "update", "applied", "updated", "3"),
         "+ applied       Slot/b/x: updated"),
        (progress.ChangeDone("Slot/b/y", "create", "not attempted", "Slot/b/x was not applied"),
         "- not attempted Slot/b/y: Slot/b/x was not applied"),
        (progress.ChangeDone("Slot/b/z", "update", "conflict", "changed outside"),
         "! conflict      Slot/b/z: changed outside"),
        (progress.Verdict("Slot/b/x", False, "success rate 0.100 below minimum 0.850"),
         "FAIL Slot/b/x: success rate 0.100 below minimum 0.850"),
        (progress.Verdict("SimulationSuite/b/s", True, "pass rate 1.00"),
         "pass SimulationSuite/b/s: pass rate 1.00"),
    ],
)
def test_changes_and_verdicts_are_one_line_each(
    event: progress.Event, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _progress.Display(live=False) as display:
        display(event)
    assert capsys.readouterr().err == line + "\n"


def test_training_names_the_bot_as_every_output_does(capsys: pytest.CaptureFixture[str]) -> None:
    with _progress.Display(live=False, names={"bot_a": "a (bot_a)"}) as display:
        display(_update("succeeded", 1.0, 2.0))
    assert capsys.readouterr().err == "retraining a (bot_a): succeeded 100% after 2.0s (job job_1)\n"
