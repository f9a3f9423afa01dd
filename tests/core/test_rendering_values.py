"""Context variable values in text and Markdown plans: null, [] and {} are shown, not dropped.

Elsewhere an empty field is an unset setting and is left out of a plan; a context value of
null or an empty collection is what gets written, so a reviewer must see it.
"""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from reconciler.core import diffing, plans
from reconciler.rendering import markdown, text

from . import builders as b


def _vars(**values: JsonValue) -> plans.JsonObject:
    return {"variables": {k: {"value": v, "scope": "session"} for k, v in values.items()}}


def _change(before: plans.JsonObject | None, after: plans.JsonObject | None) -> plans.Change:
    action = (plans.Action.CREATE if before is None
              else plans.Action.DELETE if after is None else plans.Action.UPDATE)
    diff = diffing.field_diffs(before, after) if action is plans.Action.UPDATE else ()
    return plans.Change(
        address="ContextDefaults/orders/defaults", kind="ContextDefaults", bot="orders",
        bot_id="bot_orders", name="defaults", action=action, reason="r", drift=False,
        before=before, after=after, diff=diff,
        write=None if action is plans.Action.DELETE else b.context_body(),
    )


CASES: list[tuple[plans.JsonObject | None, plans.JsonObject | None, list[str]]] = [
    # (before, after, the field lines the plan must show)
    (None, _vars(cart_items=[]),
     ['+ variables.cart_items.value = []', '+ variables.cart_items.scope = "session"']),
    (None, _vars(reason=None),
     ['+ variables.reason.value = null', '+ variables.reason.scope = "session"']),
    (None, _vars(hours={}),
     ['+ variables.hours.value = {}', '+ variables.hours.scope = "session"']),
    (None, _vars(hours={"open": "08:00", "days": [], "extra": None}),
     ['+ variables.hours.value.open = "08:00"', '+ variables.hours.value.days = []',
      '+ variables.hours.value.extra = null', '+ variables.hours.scope = "session"']),
    (_vars(reason=None), None,
     ['- variables.reason.value = null', '- variables.reason.scope = "session"']),
    (_vars(reason="late"), _vars(reason=None),
     ['~ variables.reason.value: "late" -> null']),
    (_vars(reason=None), _vars(reason="late"),
     ['~ variables.reason.value: null -> "late"']),
    (_vars(cart_items="none"), _vars(cart_items=[]),
     ['~ variables.cart_items.value: "none" -> []']),
    (_vars(a=1), {"variables": {"a": {"value": 1, "scope": "session"},
                                "b": {"value": None, "scope": "user"}}},
     ['+ variables.b = {"scope": "user", "value": null}']),
]


@pytest.mark.parametrize(("before", "after", "lines"), CASES)
def test_text_shows_every_context_value(
    before: plans.JsonObject | None, after: plans.JsonObject | None, lines: list[str]
) -> None:
    plan = plans.Plan(target="t", fingerprint="f", changes=(_change(before, after),))
    shown = [line.strip() for line in text.render_plan(plan, color=False).splitlines()]
    start = next(i for i, line in enumerate(shown)
                 if line[2:] == "ContextDefaults/orders/defaults")
    assert shown[start + 1: start + 1 + len(lines)] == lines
    assert shown[start + 1 + len(lines)] == ""


@pytest.mark.parametrize(("before", "after", "lines"), CASES)
def test_markdown_shows_every_context_value(
    before: plans.JsonObject | None, after: plans.JsonObject | None, lines: list[str]
) -> None:
    plan = plans.Plan(target="t", fingerprint="f", changes=(_change(before, after),))
    body = markdown.render_plan(plan, environment="e")
    expected = "\n".join(line.replace("~ ", "! ", 1) if line.startswith("~") else line
                         for line in lines)
    assert f"```diff\n{expected}\n```" in body


@pytest.mark.parametrize(
    "after",
    [
        {"spec": {"type": "regex", "dependencies": [], "auth": {"headerName": None}}},
        {"labels": {}, "spec": {"type": "regex"}},
    ],
)
def test_empty_settings_of_other_kinds_stay_out(after: plans.JsonObject) -> None:
    change = plans.Change(
        address="Slot/orders/sku", kind="Slot", bot="orders", bot_id="bot_orders", name="sku",
        action=plans.Action.CREATE, reason="r", drift=False, before=None, after=after,
        write=b.slot_body("sku"),
    )
    body = text.render_plan(plans.Plan(target="t", fingerprint="f", changes=(change,)),
                            color=False)
    assert '+ spec.type = "regex"' in body
    assert "null" not in body
    assert "[]" not in body
    assert "{}" not in body
