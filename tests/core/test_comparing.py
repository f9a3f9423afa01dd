"""comparing.compare: the three hashes (live, wanted, applied) decide action, drift, reason."""

from __future__ import annotations

import pytest

from reconciler.core import comparing, diffing, plans

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
    ids=["equal", "equal-unstamped", "edited-to-wanted", "manifests", "drift", "both", "adopt"],
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


def test_drift_base_limits_what_the_stamp_covers() -> None:
    live = {"variables": {"a": 1, "b": 2}}
    wanted = {"variables": {"a": 1}}
    stamped = {"variables": {"a": 1}}
    verdict = comparing.compare(live, wanted, applied_hash=H(stamped), drift_base=stamped)  # type: ignore[arg-type]
    assert (verdict.action, verdict.drift) == (plans.Action.UPDATE, False)
