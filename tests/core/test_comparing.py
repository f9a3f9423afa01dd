"""comparing.compare: the three hashes (live, wanted, applied) decide action, drift, reason."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core import comparing, diffing, normalizing, plans

OLD: plans.JsonObject = {"spec": {"url": "https://a.example.com"}}
NEW: plans.JsonObject = {"spec": {"url": "https://b.example.com"}}
HAND: plans.JsonObject = {"spec": {"url": "https://hand.example.com"}}
H = diffing.content_hash


@pytest.mark.parametrize(
    ("live", "wanted", "applied", "action", "drift", "reason"),
    [
        (OLD, OLD, H(OLD), plans.Action.NOOP, False, "matches the manifests"),
        (OLD, OLD, None, plans.Action.NOOP, False, "matches the manifests"),
        (NEW, NEW, H(OLD), plans.Action.NOOP, False, "matches the manifests"),
        (OLD, NEW, H(OLD), plans.Action.UPDATE, False, "spec.url changed"),
        (HAND, OLD, H(OLD), plans.Action.UPDATE, True,
         "changed outside cogctl since last apply (spec.url changed)"),
        (HAND, NEW, H(OLD), plans.Action.UPDATE, True,
         "spec.url changed in manifests; also changed outside cogctl since last apply"),
        (OLD, NEW, None, plans.Action.UPDATE, False,
         "spec.url changed; adopts an object not yet labelled managed-by: cogctl"),
    ],
    ids=["equal", "equal-without-applied-hash", "edited-to-wanted", "manifests", "drift", "both", "adopt"],
)
def test_compare(live: plans.JsonObject, wanted: plans.JsonObject, applied: str | None,
                 action: plans.Action, drift: bool, reason: str) -> None:
    verdict = comparing.compare(live, wanted, applied_hash=applied)
    assert (verdict.action, verdict.drift, verdict.reason) == (action, drift, reason)
    assert bool(verdict.diff) is (action is plans.Action.UPDATE)


def test_secret_only_change_is_an_update_shown_as_sensitive() -> None:
    verdict = comparing.compare(OLD, OLD, applied_hash=H(OLD), extra=(comparing.secret_diff(),),
                                extra_reason="the value of TOKEN differs from the stored secret")
    assert verdict.action is plans.Action.UPDATE
    assert not verdict.drift
    assert verdict.reason == (
        "spec.auth.secret changed (the value of TOKEN differs from the stored secret)"
    )
    assert verdict.diff == (plans.FieldDiff("spec.auth.secret", "(sensitive)", "(sensitive)", True),)


def test_drift_base_limits_what_the_applied_hash_covers() -> None:
    live = {"variables": {"a": 1, "b": 2}}
    wanted = {"variables": {"a": 1}}
    hashed = {"variables": {"a": 1}}
    verdict = comparing.compare(live, wanted, applied_hash=H(hashed), drift_base=hashed)  # type: ignore[arg-type]
    assert (verdict.action, verdict.drift) == (plans.Action.UPDATE, False)


# --- holds: the one "live already holds the desired value" rule ----------------------------

@pytest.mark.parametrize(
    ("live", "wanted", "secret_differs", "held"),
    [
        (OLD, OLD, False, True),
        (OLD, NEW, False, False),
        (OLD, OLD, True, False),  # a stored secret known to differ: the contents cannot show it
        ({"spec": {"a": 1, "b": 2}}, {"spec": {"b": 2, "a": 1}}, False, True),  # maps as maps
        ({"spec": {"n": 1}}, {"spec": {"n": 1.0}}, False, True),  # canonical JSON: 1 == 1.0
        ({"spec": {"n": True}}, {"spec": {"n": 1}}, False, False),  # but True is not 1
        ({"spec": {"p": ["a", "b"]}}, {"spec": {"p": ["b", "a"]}}, False, False),  # order counts
        ({"spec": {}}, {"spec": {"x": None}}, False, False),  # an absent field is not a null
    ],
    ids=["equal", "differs", "secret", "key-order", "int-float", "bool-int", "list-order",
         "absent-null"],
)
def test_holds(live: plans.JsonObject, wanted: plans.JsonObject, secret_differs: bool,
               held: bool) -> None:
    assert comparing.holds(live, wanted, secret_differs=secret_differs) is held
    assert comparing.holds(live, wanted, wanted_hash=H(wanted),
                           secret_differs=secret_differs) is held


@pytest.mark.parametrize(
    ("live", "wanted"),
    [(OLD, OLD), (OLD, NEW), (HAND, NEW), ({"spec": {"n": 1}}, {"spec": {"n": 1.0}}),
     ({"spec": {"n": True}}, {"spec": {"n": 1}})],
)
@pytest.mark.parametrize("applied", [None, H(OLD)])
def test_the_planner_finds_nothing_to_do_exactly_when_live_holds_it(
    live: plans.JsonObject, wanted: plans.JsonObject, applied: str | None
) -> None:
    verdict = comparing.compare(live, wanted, applied_hash=applied)
    assert (verdict.action is plans.Action.NOOP) is comparing.holds(live, wanted)


_SECRET = "canary-holds-7Qe"
_STORED = normalizing.secret_sha256("int_1", _SECRET)


@pytest.mark.parametrize(
    ("stored", "secret", "differs"),
    [
        (_STORED, _SECRET, False),
        (_STORED, "another", True),
        (_STORED, None, False),  # the value is not at hand: never known to differ
        (None, _SECRET, False),  # nothing stored: the contents show that (secret: null)
        (None, None, False),
    ],
)
def test_secret_differs(stored: str | None, secret: str | None, differs: bool) -> None:
    live: Any = {"id": "int_1", "auth_secret_sha256": stored}
    assert comparing.secret_differs(live, secret) is differs
