"""``plan --output json``: the public plan document of ``shared/interfaces.md``, exactly.

``{"format_version", "target", "fingerprint", "summary": {"create", "update", "delete",
"unchanged"}, "changes": [{"address", "action", "reason", "drift", "before", "after",
"diff": [{"path", "before", "after"}], "predicted"?}], "retrain": [botId], "verify": [...]}``,
format version 1.1, and nothing else: consumers parse it strictly. 1.1 added ``predicted``
(only on a created or updated slot with examples): ``{"before": {"passed", "total", "rate"} |
null, "after": {...}, "changed": [{"text", "expected", "before", "after", "passedBefore",
"passedAfter"}], "regression", "maxRegression"}``. No-op changes are included with
action ``no-op``. A retraining left pending by an interrupted apply shows as its bot in
``retrain`` with no change (the text and Markdown renderers give the reason). Secrets read
``"(sensitive)"`` (the plan holds no values). The saved plan (``Plan.to_json``) is a
different, fuller form for ``apply``.
"""

from __future__ import annotations

from typing import Any

from reconciler.core import plans, predicting

# The public document's version, apart from the saved plan's (``plans.FORMAT_VERSION``).
PUBLIC_FORMAT_VERSION = "1.1"  # 1.1 added "predicted" on slot changes


def plan_document(plan: plans.Plan) -> dict[str, Any]:
    return {
        "format_version": PUBLIC_FORMAT_VERSION,
        "target": plan.target,
        "fingerprint": plan.fingerprint,
        "summary": plan.summary().as_dict(),
        "changes": [_change(c, plan.prediction_for(c.address)) for c in plan.changes],
        "retrain": list(plan.retrain),
        "verify": [check.to_document() for check in plan.verify],
    }


def _change(change: plans.Change, prediction: predicting.Prediction | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "address": change.address,
        "action": change.action.value,
        "reason": change.reason,
        "drift": change.drift,
        "before": change.before,
        "after": change.after,
        "diff": [{"path": d.path, "before": d.before, "after": d.after} for d in change.diff],
    }
    if prediction is not None:
        doc["predicted"] = prediction.to_document()
    return doc
