"""Predicted extraction in the plan and in every renderer: tables over the pure core.

The live slots a prediction starts from are seeded into the emulator and fetched back, so
they are what the API answers (its version and timestamp formats, its stored fields).
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.core import livestate, planning
from reconciler.rendering import jsonout, markdown, text

from .builders import slot
from .emulated import Tenant


def live_slot(name: str, *, patterns: list[str], fillStrategy: str = "bestMatch") -> dict[str, Any]:
    """A managed slot of bot ``support`` as the emulator's fixture seeds it."""
    return {"slotId": f"slot_{name}", "name": name, "type": "regex", "patterns": patterns,
            "fillStrategy": fillStrategy, "labels": {"managed-by": "cogctl"}}


def _live(*slots: dict[str, Any]) -> livestate.LiveState:
    """Bot ``support`` holding ``slots``, seeded into the emulator and read by the engine."""
    return Tenant([{"botId": "support", "slots": list(slots)}]).snapshot()

EXAMPLES = [
    {"text": "order ORD-123456", "value": "ORD-123456"},
    {"text": "ORD-654321 late", "value": "ORD-654321"},
    {"text": "ord-111111 lower", "value": "ord-111111"},
    {"text": "no order here", "value": None},
]


def _plan(new_patterns: tuple[str, ...], *, live_patterns: list[str] | None,
          fillStrategy: str = "fuzzy", **spec: Any):
    manifest = slot("order_number", patterns=new_patterns, fillStrategy=fillStrategy,
                    examples=EXAMPLES, **spec)
    seeded = () if live_patterns is None else (
        live_slot("order_number", patterns=live_patterns, fillStrategy=fillStrategy),)
    return planning.build_plan([manifest], _live(*seeded), bot_ids={}, target="t")


def test_an_update_predicts_before_and_after_and_lists_the_changed_examples() -> None:
    plan = _plan((r"\bORD-\d{6}\b",), live_patterns=[r"ORD-\d{6}"])
    (prediction,) = plan.predictions
    assert (str(prediction.before), str(prediction.after)) == ("4/4", "4/4")
    assert prediction.changed == ()
    assert not prediction.regression

    plan = _plan((r"ORD-\d{6}\b",), live_patterns=[r"(?i)ORD-\d{6}"], fillStrategy="firstMatch")
    (prediction,) = plan.predictions
    assert (str(prediction.before), str(prediction.after)) == ("4/4", "3/4")
    assert prediction.regression  # 0.25 > 0.05
    (changed,) = prediction.changed
    assert (changed.text, changed.before, changed.after) == ("ord-111111 lower", "ord-111111", None)
    assert changed.breaks


def test_a_drop_within_max_regression_is_not_a_regression() -> None:
    plan = _plan((r"ORD-\d{6}\b",), live_patterns=[r"(?i)ORD-\d{6}"], fillStrategy="firstMatch",
                 verify={"maxRegression": 0.3})
    assert not plan.predictions[0].regression


def test_a_create_has_no_before_and_a_slot_without_examples_no_prediction() -> None:
    plan = _plan((r"ORD-\d{6}",), live_patterns=None)
    assert plan.predictions[0].before is None
    assert plan.predictions[0].summary() == "examples 4/4 (new slot)"
    bare = planning.build_plan([slot("x")], livestate.LiveState(), bot_ids={}, target="t")
    assert bare.predictions == ()


def test_an_unchanged_slot_has_no_prediction() -> None:
    plan = _plan((r"ORD-\d{6}",), live_patterns=[r"ORD-\d{6}"])
    assert [c.action.value for c in plan.changes] == ["no-op"]
    assert plan.predictions == ()


def test_json_carries_predicted_on_the_changed_slot_only() -> None:
    plan = _plan((r"ORD-\d{6}\b",), live_patterns=[r"(?i)ORD-\d{6}"], fillStrategy="firstMatch")
    doc = jsonout.plan_document(plan)
    assert doc["format_version"] == "1.3"
    predicted = doc["changes"][0]["predicted"]
    assert predicted["before"] == {"passed": 4, "total": 4, "rate": 1.0}
    assert predicted["after"] == {"passed": 3, "total": 4, "rate": 0.75}
    assert predicted["regression"] is True
    assert predicted["changed"] == [{"text": "ord-111111 lower", "expected": "ord-111111",
                                     "before": "ord-111111", "after": None,
                                     "passedBefore": True, "passedAfter": False}]
    assert json.loads(json.dumps(doc)) == doc


def test_text_shows_the_rates_and_the_examples_that_change() -> None:
    plan = _plan((r"ORD-\d{6}\b",), live_patterns=[r"(?i)ORD-\d{6}"], fillStrategy="firstMatch")
    shown = text.render_plan(plan, color=False)
    assert "# examples 4/4 -> 3/4 (REGRESSION: drop 0.250 > maxRegression 0.05)" in shown
    assert '#   FAIL "ord-111111 lower": extracts nothing (was "ord-111111"), expected ' \
           '"ord-111111"' in shown


def test_markdown_has_banner_table_and_mermaid_graph() -> None:
    manifests = [
        slot("order_number", patterns=(r"ORD-\d{6}\b",), fillStrategy="firstMatch",
             examples=EXAMPLES, dependencies=("email",)),
        slot("email", patterns=(r"\S+@\S+",)),
    ]
    live = _live(live_slot("order_number", patterns=[r"(?i)ORD-\d{6}"], fillStrategy="firstMatch"))
    plan = planning.build_plan(manifests, live, bot_ids={}, target="t")
    body = markdown.render_plan(plan, environment="prod")
    assert "> **Predicted extraction drops** beyond `verify.maxRegression` in 1 slot(s): " \
           "`Slot/support/order_number` (4/4 -> 3/4)." in body
    assert "#### Predicted extraction" in body
    assert "| `Slot/support/order_number` | 4/4 | 3/4 | 1 | ⚠️ regression |" in body
    graph = re.search(r"```mermaid\n(.*?)```", body, re.S)
    assert graph is not None
    assert "-->|depends on|" in graph.group(1)
    assert "class n" in graph.group(1)
    assert "regression" in graph.group(1)


def test_markdown_predictions_shrink_to_fit_the_limit() -> None:
    examples = [{"text": f"order ORD-{i:06d} " + "x" * 150, "value": f"ORD-{i:06d}"}
                for i in range(40)]
    manifests = [slot(f"s{i}", patterns=(r"ORD-\d{5}\b",), examples=examples)
                 for i in range(60)]
    live = _live(*(live_slot(f"s{i}", patterns=[r"ORD-\d{6}"]) for i in range(60)))
    plan = planning.build_plan(manifests, live, bot_ids={}, target="t")
    assert len(plan.regressions()) == 60
    full = markdown.render_plan(plan, environment="prod", limit=1_000_000)
    for limit in (65_000, 20_000, 5_000):
        body = markdown.render_plan(plan, environment="prod", limit=limit)
        assert len(body) <= limit
        assert "Predicted extraction drops" in body
    assert len(full) > 65_000 or "```mermaid" in full
