"""Apply and verify report text: one way of naming bots, and a rollback line that claims only
what was done."""

from __future__ import annotations

import pytest

from reconciler.core import plans
from reconciler.engine import applyresults, releasing, rollbackplans, verifying
from reconciler.pipeline import reports

C = rollbackplans.Coverage


@pytest.mark.parametrize(
    ("coverage", "line"),
    [
        (C(), "nothing was rolled back"),
        (C(deleted=("Slot/s/ticket_id",)),
         "nothing was rolled back: deleted slots are not restored (Slot/s/ticket_id)"),
        (C(restored=("Slot/s/a", "Slot/s/b")), "rolled back: restored Slot/s/a, Slot/s/b"),
        (C(restored=("Slot/s/a",), removed=("Slot/s/new",), deleted=("Slot/s/gone",),
           kept=("Integration/s/crm", "ContextDefaults/s/defaults")),
         "rolled back: restored Slot/s/a; removed the created Slot/s/new; not rolled back: "
         "deleted slots are not restored (Slot/s/gone); integrations and context defaults "
         "stay as applied (Integration/s/crm, ContextDefaults/s/defaults)"),
        (C(failed=("Slot/s/a",), kept=("Integration/s/crm",)),
         "nothing was rolled back: their rollback did not go through (Slot/s/a); "
         "integrations and context defaults stay as applied (Integration/s/crm)"),
    ],
)
def test_rollback_line(coverage: rollbackplans.Coverage, line: str) -> None:
    assert reports.rollback_line(coverage) == line


def _retrain(bot_id: str) -> applyresults.RetrainOutcome:
    return applyresults.RetrainOutcome(bot_id, applyresults.TrainingStatus.SUCCEEDED,
                                   model_version="mv30", seconds=1.25)


def _slot(address: str) -> verifying.SlotVerdict:
    return verifying.SlotVerdict(address=address, slot_id="s", passed=True, reason="",
                                 success_rate=1.0, min_extraction_rate=0.85,
                                 max_regression=0.05, model_version="mv30")


def test_apply_verify_and_training_lines_name_bots_alike() -> None:
    names = reports.bot_names({"orders": "bot_orders", "bot_x": "bot_x"})
    assert names == {"bot_orders": "orders (bot_orders)", "bot_x": "bot_x"}
    result = applyresults.ApplyResult(retrains=(_retrain("bot_orders"), _retrain("bot_x")))
    summary = reports.apply_summary(result, names=names).splitlines()
    assert summary[1:] == ["Retraining orders (bot_orders): succeeded in 1.2s (model mv30)",
                           "Retraining bot_x: succeeded in 1.2s (model mv30)"]
    report = verifying.VerifyReport("after apply", result.retrains, (_slot("Slot/orders/sku"),))
    table = reports.verify_table(report, names=names).splitlines()
    assert table[1:3] == ["  retraining orders (bot_orders): succeeded",
                          "  retraining bot_x: succeeded"]
    assert reports.training_lines(report, {"orders": "bot_orders"}) == [
        "training orders (bot_orders): mv30"
    ]


def _failing(address: str) -> verifying.SlotVerdict:
    return verifying.SlotVerdict(address=address, slot_id="s", passed=False, reason="rate low")


@pytest.mark.parametrize(
    ("count", "line"),
    [
        (1, "verification failed: Slot/b/s0: rate low"),
        (3, "verification failed: Slot/b/s0: rate low; Slot/b/s1: rate low; Slot/b/s2: rate low"),
        (5, "verification failed: Slot/b/s0: rate low; Slot/b/s1: rate low; Slot/b/s2: rate low "
            "(and 2 more)"),
    ],
)
def test_verify_failure_line_names_three_and_counts_the_rest(count: int, line: str) -> None:
    report = verifying.VerifyReport("now", slots=tuple(_failing(f"Slot/b/s{i}")
                                                       for i in range(count)))
    assert reports.verify_failure_line(report) == line


OUTCOME = applyresults.Outcome
DONE = applyresults.ChangeOutcome("Slot/b/a", "update", OUTCOME.APPLIED)
FAILED = applyresults.ChangeOutcome("Slot/b/c", "create", OUTCOME.FAILED, "409 name taken")


@pytest.mark.parametrize(
    ("release", "code", "line"),
    [
        (None, 0, ""),
        (releasing.Release(applyresults.ApplyResult(changes=(DONE,))), 0, ""),
        (releasing.Release(applyresults.ApplyResult(changes=(DONE, FAILED))), 1,
         "apply incomplete: not done: Slot/b/c (fix the cause and run apply again)"),
        (releasing.Release(applyresults.ApplyResult(changes=(DONE,), halted="audit log full")),
         1, "apply incomplete: audit log full; not done: retraining (fix the cause and run "
            "apply again)"),
        (releasing.Release(applyresults.ApplyResult(changes=(DONE,)),
                           rounds=(verifying.VerifyReport("after apply",
                                                          slots=(_failing("Slot/b/a"),)),),
                           coverage=C(restored=("Slot/b/a",))),
         3, "applied, but verification failed: Slot/b/a: rate low; rolled back: restored "
            "Slot/b/a"),
    ],
)
def test_apply_outcome(release: releasing.Release | None, code: int, line: str) -> None:
    assert reports.apply_outcome(release) == (code, line)


def test_apply_text_and_document_show_what_was_done() -> None:
    plan = plans.Plan(target="t", fingerprint="f")
    release = releasing.Release(applyresults.ApplyResult(changes=(DONE, FAILED)),
                                rollback=applyresults.ApplyResult(), coverage=C())
    assert reports.apply_text(plan, release).splitlines() == [
        "Apply incomplete: 1 applied, 1 failed.",
        "Not done:",
        "  failed        Slot/b/c: 409 name taken",
        "Rollback complete: nothing to do.",
        "Rollback: nothing was rolled back.",
    ]
    document = reports.apply_document(plan, release)
    assert list(document) == ["plan", "apply", "verification", "rollback"]
    assert document["apply"] == release.result.to_json()
    assert document["rollback"] == applyresults.ApplyResult().to_json()
    assert list(reports.apply_document(plan, None)) == ["plan"]
