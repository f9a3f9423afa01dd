"""Plan stamps: rendering, parsing back, and what counts as a different plan."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.github import planstamps


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format_version": "1.0",
        "target": "staging",
        "fingerprint": "sha256:" + "f" * 64,
        "summary": {"create": 1, "update": 1, "delete": 0, "unchanged": 1},
        "changes": [
            {"address": "Slot/support/order", "action": "create", "reason": "new in manifests",
             "drift": False, "before": None, "after": {"patterns": ["A"]},
             "diff": [{"path": "spec.patterns", "before": None, "after": ["A"]}]},
            {"address": "Integration/support/crm", "action": "update", "reason": "x",
             "drift": False, "before": {"url": "a"}, "after": {"url": "b"},
             "diff": [{"path": "spec.url", "before": "a", "after": "b"}]},
            {"address": "Slot/support/zip", "action": "no-op", "reason": "", "drift": False,
             "before": {"p": 1}, "after": {"p": 1}, "diff": []},
        ],
        "retrain": ["bot_1"],
        "verify": [],
    }
    doc.update(overrides)
    return doc


def test_stamp_round_trips_through_its_marker() -> None:
    stamp = planstamps.stamp_document(document(), environment="staging")
    text = f"<!-- cogctl-plan:staging -->\n# Plan\n\n{stamp.render()}\n"
    assert planstamps.find_stamp(text, "staging") == stamp
    assert planstamps.find_stamp(text, "prod") is None
    assert (stamp.create, stamp.update, stamp.delete) == (1, 1, 0)


def test_the_last_stamp_of_the_environment_wins() -> None:
    old = planstamps.stamp_document(document(), environment="staging")
    new = planstamps.stamp_document(document(fingerprint="sha256:new"), environment="staging")
    assert planstamps.find_stamp(old.render() + "\n" + new.render(), "staging") == new


def _edit(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("edited", "same"),
    [
        (_edit(["changes", 2, "before"], {"p": 2}), True),  # a no-op never counts
        (_edit(["changes", 1, "reason"], "other words"), True),  # nor does wording
        (document(changes=list(reversed(document()["changes"]))), True),  # nor order
        (_edit(["changes", 1, "after"], {"url": "c"}), False),
        (_edit(["changes", 0, "action"], "update"), False),
        (_edit(["changes", 1, "diff"], []), False),
        (_edit(["fingerprint"], "sha256:other"), False),
        (_edit(["summary", "delete"], 1), False),
    ],
)
def test_what_makes_a_plan_different(edited: dict[str, Any], same: bool) -> None:
    shown = planstamps.stamp_document(document(), environment="staging")
    fresh = planstamps.stamp_document(edited, environment="staging")
    assert (planstamps.differences(shown, fresh) == []) is same


@pytest.mark.parametrize(
    ("doc", "environment", "message"),
    [
        ({"changes": []}, "staging", "missing or bad"),
        (document(summary={"create": "x", "update": 0, "delete": 0}), "staging", "bad"),
        (document(changes={"a": 1}), "staging", "not a list"),
        (document(fingerprint="sha256:a b"), "staging", "unexpected characters"),
        (document(fingerprint="x-->y"), "staging", "unexpected characters"),
        (document(), "st aging", "not usable"),
    ],
)
def test_bad_documents_are_refused(doc: dict[str, Any], environment: str, message: str) -> None:
    with pytest.raises(planstamps.PlanDocumentError, match=message):
        planstamps.stamp_document(doc, environment=environment)
