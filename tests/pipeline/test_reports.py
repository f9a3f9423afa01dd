"""Apply and verify report text: one way of naming bots, and a rollback line that claims only
what was done."""

from __future__ import annotations

import pytest

from reconciler.engine import applyresults, rollbackplans, verifying
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
