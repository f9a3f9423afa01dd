"""Text of the results that need no tenant's engine: validate's summary, ``cogctl test``'s
examples per slot, and simulation suites with their coverage.

Pure string building (the commands print it), without a trailing newline.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

from reconciler.core import simulations
from reconciler.manifests import examples, loading, validating
from reconciler.rendering import tables

_ICON = {"passed": "ok", "failed": "FAIL", "misconfigured": "MISCONF", "timed_out": "TIMEOUT"}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def valid_summary(project: validating.Project) -> str:
    """``valid: 3 manifests in 2 files (1 Integration, 2 Slot); environment dev``."""
    counts = collections.Counter(type(m.manifest).__name__ for m in project.manifests)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
    files = len({m.file for m in project.manifests})
    where = f"; environment {project.environment}" if project.environment else ""
    return (f"valid: {_plural(len(project.manifests), 'manifest')} in "
            f"{_plural(files, 'file')} ({kinds}){where}")


def problems_line(diagnostics: Sequence[loading.Diagnostic]) -> str:
    """``3 problems in 2 files``: the count validate ends its list of problems with."""
    files = len({d.file for d in diagnostics})
    return f"{_plural(len(diagnostics), 'problem')} in {_plural(files, 'file')}"


def examples_text(report: examples.ExampleReport) -> str:
    """Per slot its verdict and a table of its examples, then the totals line."""
    lines: list[str] = []
    for slot in report.slots:
        if not slot.total:
            lines.append(f"{slot.address}: no examples")
            continue
        verdict = "PASSED" if slot.passed else "FAILED"
        lines.append(f"{slot.address}: {verdict}, {slot.passed_count}/{slot.total} examples "
                     f"pass (min {slot.min_rate:.0%})")
        rows = [("ok" if o.passed else "FAIL", examples.shown(o.text),
                 examples.shown(o.expected), examples.shown(o.extracted))
                for o in slot.outcomes]
        lines += tables.table(("", "TEXT", "EXPECTED", "EXTRACTED"), rows, indent="  ")
    failed = sum(not s.passed for s in report.slots)
    lines.append(f"{report.examples} examples in {_plural(len(report.slots), 'slot')}: "
                 f"{report.examples - report.failed_examples} pass, "
                 f"{report.failed_examples} fail; "
                 + (f"{failed} slot(s) below verify.minExampleRate" if failed
                    else "every slot passes"))
    return "\n".join(lines)


def suites_text(reports: Sequence[simulations.SuiteReport]) -> str:
    """Per suite its verdict, a table of its cases, its flow coverage and hits."""
    lines: list[str] = []
    for report in reports:
        verdict = "PASSED" if report.passed else "FAILED"
        lines.append(
            f"{report.address} (bot {report.bot_id}): {verdict}, pass rate "
            f"{report.pass_rate:.1%} (min {report.min_pass_rate:.1%}), "
            f"{len(report.cases)} cases in {report.seconds:.1f}s"
        )
        rows = [(_ICON[c.status.value], c.id, f"{c.seconds:.2f}s", "; ".join(c.reasons))
                for c in report.cases]
        lines += tables.table(("", "CASE", "TIME", "DETAIL"), rows, indent="  ")
        coverage = report.coverage
        if coverage.measured:
            lines.append(
                f"  coverage: {len(coverage.reached)}/{len(coverage.expected)} expected flows "
                f"reached ({coverage.share:.0%})"
                + (f"; missing: {', '.join(coverage.missing)}" if coverage.missing else "")
            )
        else:
            lines.append(f"  coverage: not measured ({len(coverage.expected)} expected flows): "
                         "no turn reported the flow it ran in")
        hits = ", ".join(f"{flow} {n}" for flow, n in sorted(coverage.hits.items()))
        if coverage.measured:
            lines.append(f"  hits per flow: {hits or 'none'}")
        misconfigured = report.counts()["misconfigured"]
        if misconfigured:
            lines.append(f"  {misconfigured} misconfigured cases: the suite or the bot's setup "
                         "is wrong (not the bot's answers); fix them first")
    return "\n".join(lines)
