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
    ],
)
def test_what_makes_a_plan_different_in_the_strict_check(edited: dict[str, Any], same: bool) -> None:
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


# --- format 2: object by object -------------------------------------------------------------

def _plan(*changes: tuple[str, str, Any, str], fingerprint: str = "sha256:1") -> dict[str, Any]:
    """A saved-plan-like document: (address, action, after, live version seen) per change."""
    return {
        "fingerprint": fingerprint,
        "changes": [{"address": a, "action": x, "after": after, "before": None, "diff": []}
                    for a, x, after, _ in changes],
        "observed": {a: seen for a, _, _, seen in changes} | {"Slot/other/x": "9"},
    }


A = ("Slot/orders/carrier", "update", {"patterns": ["DHL"]}, "3")
B = ("Slot/support/order_number", "update", {"patterns": ["^ORD$"]}, "5")
C = ("Integration/support/crm", "create", {"url": "https://crm"}, "absent")


def _verdict(shown: dict[str, Any], fresh: dict[str, Any]) -> planstamps.Verdict:
    return planstamps.compare(planstamps.stamp_document(shown, environment="prod"),
                              planstamps.stamp_document(fresh, environment="prod"))


@pytest.mark.parametrize(
    ("shown", "fresh", "objects", "done"),
    [
        # Another pull request merged and applied first: other objects moved, ours did not.
        (_plan(B), _plan(B, fingerprint="sha256:2"), (), ()),
        # The reviewed plan also showed a change that is live by now: part of what was shown.
        (_plan(A, B), _plan(B, fingerprint="sha256:2"), (), ("Slot/orders/carrier",)),
        # Our object changed outside cogctl (or by another merge) since the review.
        (_plan(B), _plan((*B[:3], "6")), ("Slot/support/order_number",), ()),
        # The same object, but now planned with other content.
        (_plan(B), _plan((B[0], B[1], {"patterns": ["^X$"]}, B[3])),
         ("Slot/support/order_number",), ()),
        # The same object, another action.
        (_plan(C), _plan((C[0], "update", C[2], "1")), ("Integration/support/crm",), ()),
        # A fresh change that was never shown.
        (_plan(B), _plan(B, C), ("Integration/support/crm",), ()),
        # Someone created the object the pull request creates.
        (_plan(C), _plan((*C[:3], "1")), ("Integration/support/crm",), ()),
    ],
)
def test_merge_time_check_object_by_object(
    shown: dict[str, Any], fresh: dict[str, Any], objects: tuple[str, ...], done: tuple[str, ...]
) -> None:
    verdict = _verdict(shown, fresh)
    assert verdict.objects() == objects
    assert verdict.accepted is (objects == ())
    assert verdict.done == done


def test_format_2_round_trips_and_is_compact() -> None:
    many = [(f"Slot/support/s{n}", "update", {"patterns": [f"^{n}$"]}, str(n))
            for n in range(300)]
    stamp = planstamps.stamp_document(_plan(*many), environment="prod")
    marker = stamp.render()
    assert marker.startswith("<!-- cogctl-plan-stamp:prod v2 ")
    assert len(marker) < 20_000
    assert planstamps.find_stamp(f"text\n{marker}\n", "prod") == stamp
    assert planstamps.find_stamp(marker.replace("v2 e", "v2 x"), "prod") is None


def test_too_large_a_stamp_falls_back_to_the_strict_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planstamps, "MAX_PAYLOAD", 50)
    stamp = planstamps.stamp_document(_plan(A, B), environment="prod")
    read = planstamps.find_stamp(stamp.render(), "prod")
    assert read is not None
    assert read.promises is None
    fresh = planstamps.stamp_document(_plan(B, fingerprint="sha256:2"), environment="prod")
    verdict = planstamps.compare(read, fresh)
    assert verdict.strict
    assert not verdict.accepted
    assert planstamps.compare(read, stamp).accepted


def test_without_versions_only_the_whole_live_state_vouches() -> None:
    document = _plan(B)
    del document["observed"]
    shown = planstamps.stamp_document(document, environment="prod")
    assert shown.promises is not None
    assert shown.promises[0].seen is None
    fresh = planstamps.stamp_document({**document, "fingerprint": "sha256:2"}, environment="prod")
    assert not planstamps.compare(shown, fresh).accepted
    assert planstamps.compare(shown, shown).accepted


def test_the_refusal_comment_names_the_objects_and_how_to_replan() -> None:
    verdict = _verdict(_plan(B), _plan((*B[:3], "6"), C))
    body = planstamps.refusal_comment(environment="prod", pull_request=12, verdict=verdict,
                                      run_url="https://github.test/run/1")
    assert "#12" in body
    assert "- `Slot/support/order_number`" in body
    assert "- `Integration/support/crm`" in body
    assert "**To re-plan:**" in body
    assert body.endswith("Run: https://github.test/run/1\n")
