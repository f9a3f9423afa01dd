"""Text and JSON of what apply did and what verification found: plain, aligned, no secrets.

Pure string building (the commands print it). Every change that did not go through is
listed with why, so a user knows exactly what was and was not done. Bots are named the one
way every output names them, ``orders (bot_orders)`` (``names``: botId -> that label).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core import plans
from reconciler.engine import applyresults, releasing, rollbackplans, verifying
from reconciler.pipeline import exitcodes
from reconciler.rendering import _lines, jsonout

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


def _slot_lines(slots: tuple[verifying.SlotVerdict, ...]) -> list[str]:
    width = max(len(s.address) for s in slots)
    lines = [
        f"  {'slot':<{width}}  {'rate':>6}  {'pred':>6}  {'base':>6}  {'min':>6}  "
        f"{'maxdrop':>7}  result"
    ]
    for s in slots:
        lines.append(
            f"  {s.address:<{width}}  {_rate(s.success_rate):>6}  {_rate(s.predicted_rate):>6}"
            f"  {_rate(s.baseline):>6}"
            f"  {_rate(s.min_extraction_rate):>6}  {_rate(s.max_regression):>7}  "
            f"{'pass' if s.passed else 'FAIL: ' + s.reason}"
        )
    for s in slots:
        comparison = s.comparison()
        if comparison is not None and s.predicted_differs:
            lines.append(f"  {s.address}: {comparison}")
    return lines


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
        lines += _slot_lines(report.slots)
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


def training_lines(
    report: verifying.VerifyReport, bot_ids: Mapping[str, str] | None = None
) -> list[str]:
    """Per bot: the model versions its slots were measured with, or that it is not trained.

    Bots are named as apply names them, ``orders (bot_orders)``, from ``bot_ids`` (logical
    bot -> botId).
    """
    names = bot_ids or {}
    by_bot: dict[str, set[str]] = {}
    for slot in report.slots:
        bot = slot.address.split("/")[1]
        by_bot.setdefault(bot, set()).add(slot.model_version or "not trained since last change")
    return [
        f"training {bot_label(bot, names.get(bot, bot))}: {', '.join(sorted(v))}"
        for bot, v in sorted(by_bot.items())
    ]


def verify_text(report: verifying.VerifyReport, bot_ids: Mapping[str, str]) -> str:
    """``cogctl verify``'s text: the training lines, then the verification table."""
    table = verify_table(report, names=bot_names(bot_ids))
    return "\n".join([*training_lines(report, bot_ids), table])


def verify_failure_line(report: verifying.VerifyReport) -> str:
    """The error line of a failed verification: its first three failures, and how many more."""
    failures = report.failures()
    more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
    return f"verification failed: {'; '.join(failures[:3])}{more}"


def apply_document(plan: plans.Plan, release: releasing.Release | None) -> dict[str, Any]:
    """``apply --output json``: the plan, and when it wrote, what it did and found."""
    doc: dict[str, Any] = {"plan": jsonout.plan_document(plan)}
    if release is not None:
        doc["apply"] = release.result.to_json()
        doc["verification"] = [r.to_json() for r in release.rounds]
        doc["rollback"] = release.rollback.to_json() if release.rollback else None
    return doc


def apply_text(plan: plans.Plan, release: releasing.Release) -> str:
    """What apply did, each verification round, and the rollback when there was one."""
    names = _lines.bot_labels(plan)
    blocks = [apply_summary(release.result, names=names)]
    blocks += [verify_table(report, names=names) for report in release.rounds]
    if release.rollback is not None:
        blocks.append(apply_summary(release.rollback, what="Rollback", names=names))
    if release.coverage is not None:
        blocks.append(f"Rollback: {rollback_line(release.coverage)}.")
    return "\n".join(blocks)


def apply_outcome(release: releasing.Release | None) -> tuple[int, str]:
    """The exit code, and the one line on stderr that says why it is not 0 and what to do."""
    if release is None or (release.result.writes_ok and release.verified):
        return exitcodes.OK, ""
    if not release.result.writes_ok:
        missing = ", ".join(c.address for c in release.result.not_done()) or "retraining"
        why = f"{release.result.halted}; " if release.result.halted else ""
        return exitcodes.ERROR, (f"apply incomplete: {why}not done: {missing} (fix the "
                                 "cause and run apply again)")
    failures = "; ".join(release.rounds[0].failures()) if release.rounds else "verification failed"
    line = f"applied, but verification failed: {failures}"
    if release.coverage is not None:
        line += f"; {rollback_line(release.coverage)}"
    return exitcodes.VERIFY_FAILED, line
