"""Text of what apply did and what verification found: plain, aligned, no secrets.

Pure string building (the commands print it). Every change that did not go through is
listed with why, so a user knows exactly what was and was not done.
"""

from __future__ import annotations

from reconciler import outcomes, verifying


def apply_summary(result: outcomes.ApplyResult, *, what: str = "Apply") -> str:
    counts = result.counts()
    parts = [f"{n} {name}" for name, n in counts.items() if n]
    head = f"{what} complete" if result.writes_ok else f"{what} incomplete"
    lines = [f"{head}: {', '.join(parts) or 'nothing to do'}."]
    not_done = result.not_done()
    if not_done:
        lines.append("Not done:")
        lines += [f"  {c.outcome.value:<13} {c.address}: {c.message}" for c in not_done]
    for retrain in result.retrains:
        detail = (
            f"model {retrain.model_version}" if retrain.ok else retrain.error or "no detail"
        )
        lines.append(
            f"Retraining {retrain.bot_id}: {retrain.status.value} in {retrain.seconds:.1f}s "
            f"({detail})"
        )
    return "\n".join(lines)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verify_table(report: verifying.VerifyReport) -> str:
    """One round: retraining, a table of slots, then suites; ends with PASSED or FAILED."""
    lines = [f"Verification {report.label}:"]
    for retrain in report.retrains:
        lines.append(
            f"  retraining {retrain.bot_id}: {retrain.status.value}"
            + (f" ({retrain.error})" if retrain.error else "")
        )
    if report.slots:
        width = max(len(s.address) for s in report.slots)
        lines.append(
            f"  {'slot':<{width}}  {'rate':>6}  {'base':>6}  {'min':>6}  {'maxdrop':>7}  result"
        )
        for s in report.slots:
            lines.append(
                f"  {s.address:<{width}}  {_rate(s.success_rate):>6}  {_rate(s.baseline):>6}"
                f"  {_rate(s.min_extraction_rate):>6}  {_rate(s.max_regression):>7}  "
                f"{'pass' if s.passed else 'FAIL: ' + s.reason}"
            )
    for suite in report.suites:
        counts = ", ".join(f"{n} {k}" for k, n in suite.counts().items() if n)
        lines.append(
            f"  suite {suite.address}: pass rate {suite.pass_rate:.2f} "
            f"(min {suite.min_pass_rate:.2f}; {counts}) "
            f"{'pass' if suite.passed else 'FAIL'}"
        )
        for case in suite.cases:
            if not case.passed:
                lines.append(f"    {case.id}: {case.status.value}: {'; '.join(case.reasons)}")
    if not (report.retrains or report.slots or report.suites):
        lines.append("  nothing to verify")
    lines.append("  PASSED" if report.passed else "  FAILED")
    return "\n".join(lines)
