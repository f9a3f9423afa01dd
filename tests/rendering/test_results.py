"""Text of validate's summary, ``cogctl test``'s examples and simulation suites (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import extraction
from reconciler.core import simulations
from reconciler.manifests import examples, loading, validating
from reconciler.rendering import results

ROOT = Path(__file__).resolve().parents[2]
S = simulations.CaseStatus


def _diagnostic(file: str) -> loading.Diagnostic:
    return loading.Diagnostic(file, 1, 1, None, "bad")


@pytest.mark.parametrize(
    ("files", "line"),
    [
        (("a.yaml",), "1 problem in 1 file"),
        (("a.yaml", "a.yaml"), "2 problems in 1 file"),
        (("a.yaml", "b.yaml", "b.yaml"), "3 problems in 2 files"),
    ],
)
def test_problems_line(files: tuple[str, ...], line: str) -> None:
    assert results.problems_line([_diagnostic(f) for f in files]) == line


def test_valid_summary_counts_manifests_files_and_kinds() -> None:
    project = validating.load_project([ROOT / "manifests"])
    summary = results.valid_summary(project)
    files = len({m.file for m in project.manifests})
    assert summary.startswith(f"valid: {len(project.manifests)} manifests in {files} files (")
    assert summary.endswith("); environment local")
    empty = validating.Project(manifests=(), diagnostics=(), config=None, config_path=None,
                               environment=None)
    assert results.valid_summary(empty) == "valid: 0 manifests in 0 files ()"


def _slot(address: str, *outcomes: tuple[str, str | None, str | None, bool],
          min_rate: float = 1.0) -> examples.SlotResult:
    return examples.SlotResult(address=address, file="f.yaml", min_rate=min_rate,
                               outcomes=tuple(extraction.Outcome(*o) for o in outcomes))


@pytest.mark.parametrize(
    ("slots", "lines"),
    [
        ((_slot("Slot/b/none"),),
         ["Slot/b/none: no examples",
          "0 examples in 1 slot: 0 pass, 0 fail; every slot passes"]),
        ((_slot("Slot/b/sku", ("SKU-1", "SKU-1", "SKU-1", True), ("x", None, "x", False),
                min_rate=0.5),
          _slot("Slot/b/id", ("id 7", "7", None, False))),
         ["Slot/b/sku: PASSED, 1/2 examples pass (min 50%)",
          "        TEXT     EXPECTED  EXTRACTED",
          '  ok    "SKU-1"  "SKU-1"   "SKU-1"',
          '  FAIL  "x"      nothing   "x"',
          "Slot/b/id: FAILED, 0/1 examples pass (min 100%)",
          "        TEXT    EXPECTED  EXTRACTED",
          '  FAIL  "id 7"  "7"       nothing',
          "3 examples in 2 slots: 1 pass, 2 fail; 1 slot(s) below verify.minExampleRate"]),
    ],
)
def test_examples_text(slots: tuple[examples.SlotResult, ...], lines: list[str]) -> None:
    assert results.examples_text(examples.ExampleReport(slots)).splitlines() == lines


def _suite(*cases: simulations.CaseResult, hits: dict[str, int]) -> simulations.SuiteReport:
    return simulations.SuiteReport(
        address="SimulationSuite/b/smoke", bot_id="bot_b", cases=cases, min_pass_rate=0.5,
        coverage=simulations.Coverage(expected=("main", "refund"), hits=hits), seconds=2.04)


def test_suites_text() -> None:
    report = _suite(
        simulations.CaseResult("greets", S.PASSED, seconds=0.5),
        simulations.CaseResult("refunds", S.FAILED, ("expected flow refund", "got main"),
                               seconds=1.25),
        simulations.CaseResult("setup", S.MISCONFIGURED, ("unknown entity x",)),
        hits={"main": 3},
    )
    assert results.suites_text([report]).splitlines() == [
        "SimulationSuite/b/smoke (bot bot_b): FAILED, pass rate 33.3% (min 50.0%), "
        "3 cases in 2.0s",
        "           CASE     TIME   DETAIL",
        "  ok       greets   0.50s",
        "  FAIL     refunds  1.25s  expected flow refund; got main",
        "  MISCONF  setup    0.00s  unknown entity x",
        "  coverage: 1/2 expected flows reached (50%); missing: refund",
        "  hits per flow: main 3",
        "  1 misconfigured cases: the suite or the bot's setup is wrong (not the bot's "
        "answers); fix them first",
    ]


def test_a_suite_that_reached_every_flow_says_so() -> None:
    report = _suite(simulations.CaseResult("a", S.TIMED_OUT), hits={})
    lines = results.suites_text([report]).splitlines()
    assert lines[2] == "  TIMEOUT  a     0.00s"
    assert lines[3:] == ["  coverage: 0/2 expected flows reached (0%); missing: main, refund",
                         "  hits per flow: none"]
