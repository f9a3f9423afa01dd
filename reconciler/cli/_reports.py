"""Text of what apply did and what verification found: plain, aligned, no secrets.

Pure string building (the commands print it). Every change that did not go through is
listed with why, so a user knows exactly what was and was not done. Bots are named the one
way every output names them, ``orders (bot_orders)`` (``names``: botId -> that label).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.engine import applyresults, rollbackplans, verifying
from reconciler.rendering import _lines

bot_label = _lines.bot_label


def bot_names(bots: Mapping[str, str]) -> dict[str, str]:
    """botId -> label, from logical bot -> botId (the project's mapping)."""
    return {bot_id: bot_label(bot, bot_id) for bot, bot_id in bots.items()}


def apply_summary(
    result: applyresults.ApplyResult, *, what: str = "Apply", names: Mapping[str, str] | None = None
) -> str:
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
        bot = (names or {}).get(retrain.bot_id, retrain.bot_id)
        lines.append(
            f"Retraining {bot}: {retrain.status.value} in {retrain.seconds:.1f}s "
            f"({detail})"
        )
    return "\n".join(lines)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verify_table(
    report: verifying.VerifyReport, *, names: Mapping[str, str] | None = None
) -> str:
    """One round: retraining, a table of slots, then suites; ends with PASSED or FAILED."""
    lines = [f"Verification {report.label}:"]
    for retrain in report.retrains:
        lines.append(
            f"  retraining {(names or {}).get(retrain.bot_id, retrain.bot_id)}: "
            f"{retrain.status.value}"
            + (f" ({retrain.error})" if retrain.error else "")
        )
    if report.slots:
        width = max(len(s.address) for s in report.slots)
        lines.append(
            f"  {'slot':<{width}}  {'rate':>6}  {'pred':>6}  {'base':>6}  {'min':>6}  "
            f"{'maxdrop':>7}  result"
        )
        for s in report.slots:
            lines.append(
                f"  {s.address:<{width}}  {_rate(s.success_rate):>6}  {_rate(s.predicted_rate):>6}"
                f"  {_rate(s.baseline):>6}"
                f"  {_rate(s.min_extraction_rate):>6}  {_rate(s.max_regression):>7}  "
                f"{'pass' if s.passed else 'FAIL: ' + s.reason}"
            )
        for s in report.slots:
            comparison = s.comparison()
            if comparison is not None and s.predicted_differs:
                lines.append(f"  {s.address}: {comparison}")
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


def rollback_line(coverage: rollbackplans.Coverage) -> str:
    """What the rollback did and did not undo, e.g. ``nothing was rolled back: deleted slots
    are not restored (Slot/support/ticket_id)``; every address apply wrote is accounted for."""
    done = []
    if coverage.restored:
        done.append(f"restored {', '.join(coverage.restored)}")
    if coverage.removed:
        done.append(f"removed the created {', '.join(coverage.removed)}")
    head = f"rolled back: {'; '.join(done)}" if done else "nothing was rolled back"
    reasons = [
        (coverage.deleted, "deleted slots are not restored"),
        (coverage.failed, "their rollback did not go through"),
        (coverage.kept, "integrations and context defaults stay as applied"),
    ]
    kept = [f"{why} ({', '.join(addresses)})" for addresses, why in reasons if addresses]
    if not kept:
        return head
    return f"{head}{'; not rolled back' if done else ''}: {'; '.join(kept)}"
