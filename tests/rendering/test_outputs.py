"""The plan in each ``--output`` format, and the one line ``cogctl drift`` prints on stderr
(pure)."""

from __future__ import annotations

import pytest

from reconciler import jsontypes
from reconciler.core import plans, writebodies
from reconciler.pipeline import planning
from reconciler.rendering import jsonout, markdown, outputs, text


def _change(name: str, action: plans.Action, *, outside: bool) -> plans.Change:
    return plans.Change(
        address=f"Slot/b/{name}", kind="Slot", bot="b", bot_id="bot_b", name=name,
        action=action, reason="r", drift=outside, before={"spec": {}},
        after={"spec": {}}, live_id="i", live_version="1",
        write=None if action is plans.Action.NOOP else writebodies.slot_body(
            bot_id="bot_b", name=name, slot_type="regex", patterns=["x"],
            fill_strategy="bestMatch", dependency_ids=(), labels={}),
    )


@pytest.mark.parametrize(
    ("changes", "orphaned", "line"),
    [
        ((), (), "drift: none, live state matches the manifests"),
        ((("a", plans.Action.NOOP, False),), (), "drift: none, live state matches the manifests"),
        ((("a", plans.Action.UPDATE, False),), (), "drift: 1 object(s) differ from the manifests"),
        (
            (("a", plans.Action.UPDATE, True), ("b", plans.Action.UPDATE, False)),
            (),
            "drift: 2 object(s) differ from the manifests; changed outside cogctl: Slot/b/a",
        ),
        (
            (),
            ("Slot/b/old",),
            "drift: none, live state matches the manifests; 1 managed object(s) left the "
            "manifests (apply --prune deletes them): Slot/b/old",
        ),
    ],
)
def test_describe(
    changes: tuple[tuple[str, plans.Action, bool], ...], orphaned: tuple[str, ...], line: str
) -> None:
    plan = plans.Plan(
        target="t", fingerprint="f",
        changes=tuple(_change(n, a, outside=o) for n, a, o in changes), orphaned=orphaned,
    )
    assert outputs.drift_line(plan) == line


REASON = "Retraining pending from an interrupted apply: bot_b"


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ((("a", plans.Action.NOOP, False),),
         "drift: live objects match the manifests; retraining pending from an interrupted "
         "apply (apply finishes it): b (bot_b)"),
        ((("a", plans.Action.UPDATE, True),),
         "drift: 1 object(s) differ from the manifests; changed outside cogctl: Slot/b/a; "
         "retraining pending from an interrupted apply (apply finishes it): b (bot_b)"),
        ((), "drift: live objects match the manifests; retraining pending from an interrupted "
             "apply (apply finishes it): bot_b"),
    ],
)
def test_a_pending_retraining_is_drift(
    changes: tuple[tuple[str, plans.Action, bool], ...], line: str
) -> None:
    plan = plans.Plan(
        target="t", fingerprint="f",
        changes=tuple(_change(n, a, outside=o) for n, a, o in changes), retrain=("bot_b",),
        pending_retrain=(plans.PendingRetrain("bot_b", REASON),),
    )
    assert outputs.drift_line(plan) == line
    assert planning.drifted(plan)


def test_no_difference_and_nothing_pending_is_no_drift() -> None:
    assert not planning.drifted(plans.Plan(target="t", fingerprint="f"))


def _plan() -> plans.Plan:
    return plans.Plan(target="t", fingerprint="f",
                      changes=(_change("a", plans.Action.UPDATE, outside=False),))


def test_json_is_the_plan_document() -> None:
    plan = _plan()
    shown = outputs.render_plan(plan, "json", environment=None, color=True)
    assert shown == jsontypes.dumps(jsonout.plan_document(plan), indent=2)


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_text_and_markdown_end_without_a_newline_and_colour_only_text(output: str) -> None:
    plan = _plan()
    plain = outputs.render_plan(plan, output, environment=None, color=False)
    coloured = outputs.render_plan(plan, output, environment=None, color=True)
    assert not plain.endswith("\n")
    assert "\x1b[" not in plain
    assert ("\x1b[" in coloured) is (output == "text")
    assert plain == (text.render_plan(plan, color=False) if output == "text"
                     else markdown.render_plan(plan, environment="default")).rstrip("\n")


def test_markdown_names_the_environment_given() -> None:
    shown = outputs.render_plan(_plan(), "markdown", environment="staging", color=False)
    assert shown == markdown.render_plan(_plan(), environment="staging").rstrip("\n")
    assert "staging" in shown
