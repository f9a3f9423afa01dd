"""One "live already holds it" rule: the planner's no-op and apply's 409 recovery agree.

Each row edits one object of an applied tenant (as someone outside cogctl might), then asks
both sides: does the next plan find nothing to do, and would apply, meeting a 409 with the
plan's earlier bodies, call the write done already? They must give the same answer. Then the
delete of context defaults: when a fresh read after its 409 means "send it again", "done
already" or "conflict".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.core import livetypes as lt
from reconciler.core import normalizing, planning, plans
from reconciler.core import writetypes as wt
from reconciler.engine import writing

from . import builders as b

BOTS = {"support": "bot_sup"}
ENV = {"CRM_TOKEN": b.CANARY}
Edit = Callable[[b.FakeTenant], object]  # what it returns is ignored


def _desired() -> list[Any]:
    return [
        b.integration("crm_lookup", secret_env="CRM_TOKEN", headers={"X-A": "1", "X-B": "2"},
                      labels={"team": "crm"}),
        b.slot("order_number", patterns=(r"\d{5}", r"\d{6}"), fillStrategy="firstMatch"),
        b.slot("order_item", dependencies=("order_number", "gift")),
        b.slot("gift"),
        b.context({"lang": {"value": "en"}, "limits": {"value": {"max": 3}}}),
    ]


def _plan(state: Any, desired: list[Any] | None = None, **kw: Any) -> plans.Plan:
    return planning.build_plan(_desired() if desired is None else desired, state, bot_ids=BOTS,
                               target="test", secrets=ENV, **kw)


def _applied() -> tuple[b.FakeTenant, dict[str, plans.Change]]:
    tenant = b.FakeTenant(BOTS)
    first = _plan(tenant.state())
    tenant.apply(first, ENV)
    return tenant, {c.address: c for c in first.changes}


def _integration(t: b.FakeTenant) -> lt.LiveIntegration:
    return next(iter(t.integrations.values()))


def _slot(t: b.FakeTenant, name: str) -> lt.LiveSlot:
    return next(s for s in t.slots.values() if s["name"] == name)


def _context(t: b.FakeTenant) -> dict[str, Any]:
    return dict(t.contexts["bot_sup"]["context"])


def _rotate_secret(t: b.FakeTenant) -> None:
    live = _integration(t)
    live["auth_secret_sha256"] = normalizing.secret_sha256(live["id"], "rotated")


def _set(get: Callable[[b.FakeTenant], Any], key: str, value: Any) -> Edit:
    return lambda t: get(t).__setitem__(key, value)


def _labels(get: Callable[[b.FakeTenant], Any], changes: dict[str, str | None]) -> Edit:
    def edit(t: b.FakeTenant) -> None:
        labels = get(t)["labels"]
        for key, value in changes.items():
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
    return edit


def _config(key: str, value: Any) -> Edit:
    return lambda t: _integration(t)["config"].__setitem__(key, value)


def _entry(key: str, value: Any) -> Edit:
    return lambda t: t.contexts["bot_sup"]["context"].__setitem__(key, value)


ORDER = lambda t: _slot(t, "order_number")  # noqa: E731
ITEM = lambda t: _slot(t, "order_item")  # noqa: E731

ROWS: list[tuple[str, str, Edit | None, bool]] = [
    ("Integration/support/crm_lookup", "untouched", None, True),
    ("Integration/support/crm_lookup", "description", _set(_integration, "description", "x"),
     False),
    ("Integration/support/crm_lookup", "unstamped", _labels(_integration, {
        normalizing.MANAGED_LABEL: None, normalizing.HASH_LABEL: None}), True),
    ("Integration/support/crm_lookup", "extra-label", _labels(_integration, {"owner": "me"}), False),
    ("Integration/support/crm_lookup", "header-order",
     _config("headers", {"X-B": "2", "X-A": "1"}), True),
    ("Integration/support/crm_lookup", "timeout", _config("timeout_seconds", 10), False),
    ("Integration/support/crm_lookup", "secret-rotated", _rotate_secret, False),
    ("Slot/support/order_number", "untouched", None, True),
    ("Slot/support/order_number", "pattern-order",
     _set(ORDER, "patterns", [r"\d{6}", r"\d{5}"]), False),
    ("Slot/support/order_number", "fill-strategy", _set(ORDER, "fillStrategy", "bestMatch"),
     False),
    ("Slot/support/order_number", "other-stamp", _labels(ORDER, {normalizing.HASH_LABEL: "v2:0"}),
     True),
    ("Slot/support/order_number", "extra-label", _labels(ORDER, {"team": "x"}), False),
    ("Slot/support/order_item", "dependency-order",
     lambda t: ITEM(t)["dependencies"].reverse(), True),
    ("Slot/support/order_item", "dependency-dropped",
     lambda t: ITEM(t)["dependencies"].pop(), False),
    ("ContextDefaults/support/defaults", "untouched", None, True),
    ("ContextDefaults/support/defaults", "value", _entry("lang", {"value": "de",
                                                                  "scope": "global"}), False),
    ("ContextDefaults/support/defaults", "scope", _entry("lang", {"value": "en",
                                                                  "scope": "user"}), False),
    ("ContextDefaults/support/defaults", "someone-elses-key",
     _entry("campaign", {"value": 1, "scope": "global"}), True),
    ("ContextDefaults/support/defaults", "stamp-gone",
     lambda t: t.contexts["bot_sup"]["context"].pop(normalizing.CONTEXT_STAMP_KEY), True),
]


def _held_after_409(t: b.FakeTenant, change: plans.Change) -> bool:
    body = change.write
    if isinstance(body, wt.IntegrationBody):
        return writing.integration_holds(change, _integration(t), b.CANARY)
    if isinstance(body, wt.SlotBody):
        return writing.slot_holds(_slot(t, change.name), body)
    assert isinstance(body, wt.ContextPatch)
    return writing.context_holds(change, t.context_of("bot_sup"), body)


@pytest.mark.parametrize(("address", "what", "edit", "held"), ROWS,
                         ids=[f"{r[0].split('/')[0]}-{r[1]}" for r in ROWS])
def test_the_planner_and_the_409_recovery_agree(
    address: str, what: str, edit: Edit | None, held: bool
) -> None:
    tenant, written = _applied()
    if edit is not None:
        edit(tenant)
    fresh = {c.address: c for c in _plan(tenant.state()).changes}[address]
    assert (fresh.action is plans.Action.NOOP) is held, fresh.reason
    assert _held_after_409(tenant, written[address]) is held


# --- the delete of context defaults ---------------------------------------------------------

def _pruned() -> tuple[b.FakeTenant, plans.Change]:
    tenant, _ = _applied()
    rest = [m for m in _desired() if m.kind != "ContextDefaults"]
    plan = _plan(tenant.state(), rest, prune=True)
    change = next(c for c in plan.changes if c.kind == "ContextDefaults")
    assert change.action is plans.Action.DELETE
    assert change.write == wt.ContextRemoval(("lang", "limits"))
    return tenant, change


def _restamp(keys: list[str]) -> Edit:
    def edit(t: b.FakeTenant) -> None:
        entry: Any = t.contexts["bot_sup"]["context"][normalizing.CONTEXT_STAMP_KEY]
        entry["value"] = {**entry["value"], "keys": keys}
    return edit


def _drop(*keys: str) -> Edit:
    def edit(t: b.FakeTenant) -> None:
        for key in keys:
            t.contexts["bot_sup"]["context"].pop(key)
    return edit


@pytest.mark.parametrize(
    ("edit", "untouched", "held"),
    [
        (None, True, False),  # only the version moved (a marker): the same removal goes again
        (_entry("campaign", {"value": 1, "scope": "global"}), True, False),  # not our key
        (_entry("lang", {"value": "de", "scope": "global"}), False, False),  # ours, edited
        (_entry("limits", {"value": {"max": 3}, "scope": "user"}), False, False),
        (_restamp(["lang", "limits", "extra"]), False, False),  # the stamp manages more now
        (_drop("lang", "limits", normalizing.CONTEXT_STAMP_KEY), False, True),  # done already
        (_drop("lang", "limits"), False, False),  # a stamp left: the next plan deletes again
    ],
    ids=["version-only", "someone-elses-key", "value", "scope", "stamp-keys", "gone",
         "stamp-left"],
)
def test_a_context_delete_after_409_sends_its_removal_again_or_is_a_conflict(
    edit: Edit | None, untouched: bool, held: bool
) -> None:
    tenant, change = _pruned()
    if edit is not None:
        edit(tenant)
    live = tenant.context_of("bot_sup")
    assert isinstance(change.write, wt.ContextRemoval)
    assert writing.untouched_since_plan(change, live, change.write) is untouched
    assert writing.context_holds(change, live, change.write) is held
    if held:  # "done already" means exactly: the next plan has nothing to delete
        rest = [m for m in _desired() if m.kind != "ContextDefaults"]
        assert not _plan(tenant.state(), rest, prune=True).summary().has_changes
