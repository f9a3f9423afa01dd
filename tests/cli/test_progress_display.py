"""The non-terminal progress display: one line per change and verdict, throttled training."""

from __future__ import annotations

import pytest
from fakes import FakeClock

from reconciler.cli import _progress
from reconciler.engine import progress
from reconciler.engine.applyresults import Outcome


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
        (progress.ChangeOutcome("Slot/b/x", "update", Outcome.APPLIED, "updated", "3"),
         "+ applied       Slot/b/x: updated"),
        (progress.ChangeOutcome("Slot/b/y", "create", Outcome.NOT_ATTEMPTED,
                                "Slot/b/x was not applied"),
         "- not attempted Slot/b/y: Slot/b/x was not applied"),
        (progress.ChangeOutcome("Slot/b/z", "update", Outcome.CONFLICT, "changed outside"),
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


def _case(done: int, total: int, elapsed: float, failed: int = 0) -> progress.CaseDone:
    return progress.CaseDone("SimulationSuite/b/s", f"case_{done}", "passed", done, total,
                             failed, elapsed)


def test_simulation_cases_print_at_most_every_interval_and_always_the_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock(start=0.0)
    with _progress.Display(live=False, interval=5.0, clock=clock) as display:
        for done in range(1, 20):  # a case finishes every second
            clock.now = float(done)
            display(_case(done, 20, float(done), failed=done // 10))
        clock.now = 20.5
        display(_case(20, 20, 20.5, failed=2))
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "simulating SimulationSuite/b/s: 1/20 cases done, 0 not passed, after 1.0s",
        "simulating SimulationSuite/b/s: 6/20 cases done, 0 not passed, after 6.0s",
        "simulating SimulationSuite/b/s: 11/20 cases done, 1 not passed, after 11.0s",
        "simulating SimulationSuite/b/s: 16/20 cases done, 1 not passed, after 16.0s",
        "simulating SimulationSuite/b/s: 20/20 cases done, 2 not passed, after 20.5s",
    ]


def test_simulation_cases_on_a_terminal_are_a_live_count() -> None:
    import io

    from rich.console import Console

    with _progress.Display(live=True) as display:
        display(_case(1, 4, 0.5))
        bars = display._bars
        assert bars is not None
        bars.console.file = io.StringIO()  # keep the test's stderr clean
        display(_case(3, 4, 1.0, failed=1))
        (task,) = bars.tasks
        assert (task.completed, task.total) == (3, 4)
        assert task.fields["status"] == "1 not passed"
    assert isinstance(bars.console, Console)
