"""One "live already holds it" rule: the planner's no-op and apply's 409 recovery agree.

Each row edits one object of an applied tenant (as someone outside cogctl might), then asks
both sides: does the next plan find nothing to do, and would apply, meeting a 409 with the
plan's earlier bodies, call the write done already? They must give the same answer. Then the
delete of context defaults: when a fresh read after its 409 means "send it again", "done
already" or "conflict".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.core import livestate, normalizing, planning, plans
from reconciler.core import livetypes as lt
from reconciler.core import writetypes as wt
from reconciler.engine import writing

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup"}
ENV = {"CRM_TOKEN": b.CANARY}
Edit = Callable[[Tenant], object]  # what it returns is ignored


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


def _applied() -> tuple[Tenant, dict[str, plans.Change]]:
    tenant = Tenant.of("bot_sup")
    first = _plan(tenant.snapshot())
    tenant.apply(first, ENV)
    return tenant, {c.address: c for c in first.changes}


def _bot(state: livestate.LiveState) -> livestate.BotState:
    return state.bots["bot_sup"]


def _integration(state: livestate.LiveState) -> lt.LiveIntegration:
    return next(iter(_bot(state).integrations))


def _slot(state: livestate.LiveState, name: str) -> lt.LiveSlot:
    return next(s for s in _bot(state).slots if s["name"] == name)


def _context(state: livestate.LiveState) -> lt.LiveContext:
    context = _bot(state).context
    assert context is not None
    return context


# Edits made outside cogctl, each through the API as another client would make it.

def _integration_edit(change: Callable[[dict[str, Any]], object]) -> Edit:
    return lambda t: t.edit_integration("bot_sup", "crm_lookup", change)


def _set_integration(key: str, value: Any) -> Edit:
    return _integration_edit(lambda body: body.__setitem__(key, value))


def _config(key: str, value: Any) -> Edit:
    return _integration_edit(lambda body: body["config"].__setitem__(key, value))


def _rotate_secret(t: Tenant) -> None:
    _config("auth_secret", "rotated")(t)


def _relabel(labels: dict[str, Any], changes: dict[str, str | None]) -> dict[str, Any]:
    kept = {k: v for k, v in labels.items() if changes.get(k, v) is not None}
    return {**kept, **{k: v for k, v in changes.items() if v is not None}}


def _integration_labels(changes: dict[str, str | None]) -> Edit:
    return _integration_edit(lambda body: body.__setitem__(
        "labels", _relabel(body["labels"], changes)))


def _slot_edit(name: str, change: Callable[[lt.LiveSlot], dict[str, Any]]) -> Edit:
    return lambda t: t.edit_slot("bot_sup", name, **change(_slot(t.snapshot(), name)))


def _slot_labels(name: str, changes: dict[str, str | None]) -> Edit:
    return _slot_edit(name, lambda s: {"labels": _relabel(dict(s["labels"]), changes)})


def _entry(key: str, value: Any) -> Edit:
    return lambda t: t.patch_context("bot_sup", {key: value})


ROWS: list[tuple[str, str, Edit | None, bool]] = [
    ("Integration/support/crm_lookup", "untouched", None, True),
    ("Integration/support/crm_lookup", "description", _set_integration("description", "x"),
     False),
    ("Integration/support/crm_lookup", "without-applied-hash", _integration_labels({
        normalizing.MANAGED_LABEL: None, normalizing.HASH_LABEL: None}), True),
    ("Integration/support/crm_lookup", "extra-label", _integration_labels({"owner": "me"}),
     False),
    ("Integration/support/crm_lookup", "header-order",
     _config("headers", {"X-B": "2", "X-A": "1"}), True),
    ("Integration/support/crm_lookup", "timeout", _config("timeout_seconds", 10), False),
    ("Integration/support/crm_lookup", "secret-rotated", _rotate_secret, False),
    ("Slot/support/order_number", "untouched", None, True),
    ("Slot/support/order_number", "pattern-order",
     _slot_edit("order_number", lambda s: {"patterns": [r"\d{6}", r"\d{5}"]}), False),
    ("Slot/support/order_number", "fill-strategy",
     _slot_edit("order_number", lambda s: {"fillStrategy": "bestMatch"}), False),
    ("Slot/support/order_number", "other-applied-hash",
     _slot_labels("order_number", {normalizing.HASH_LABEL: "v2:0"}), True),
    ("Slot/support/order_number", "extra-label", _slot_labels("order_number", {"team": "x"}),
     False),
    ("Slot/support/order_item", "dependency-order",
     _slot_edit("order_item", lambda s: {"dependencies": list(reversed(s["dependencies"]))}),
     True),
    ("Slot/support/order_item", "dependency-dropped",
     _slot_edit("order_item", lambda s: {"dependencies": s["dependencies"][:-1]}), False),
    ("ContextDefaults/support/defaults", "untouched", None, True),
    ("ContextDefaults/support/defaults", "value", _entry("lang", {"value": "de",
                                                                  "scope": "global"}), False),
    ("ContextDefaults/support/defaults", "scope", _entry("lang", {"value": "en",
                                                                  "scope": "user"}), False),
    ("ContextDefaults/support/defaults", "someone-elses-key",
     _entry("campaign", {"value": 1, "scope": "global"}), True),
    ("ContextDefaults/support/defaults", "applied-entry-gone",
     _entry(normalizing.CONTEXT_APPLIED_KEY, None), True),
]


def _held_after_409(state: livestate.LiveState, change: plans.Change) -> bool:
    body = change.write
    if isinstance(body, wt.IntegrationBody):
        return writing.integration_holds(change, _integration(state), b.CANARY)
    if isinstance(body, wt.SlotBody):
        return writing.slot_holds(_slot(state, change.name), body)
    assert isinstance(body, wt.ContextPatch)
    return writing.context_holds(change, _context(state), body)


@pytest.mark.parametrize(("address", "what", "edit", "held"), ROWS,
                         ids=[f"{r[0].split('/')[0]}-{r[1]}" for r in ROWS])
def test_the_planner_and_the_409_recovery_agree(
    address: str, what: str, edit: Edit | None, held: bool
) -> None:
    tenant, written = _applied()
    if edit is not None:
        edit(tenant)
    live = tenant.snapshot()
    fresh = {c.address: c for c in _plan(live).changes}[address]
    assert (fresh.action is plans.Action.NOOP) is held, fresh.reason
    assert _held_after_409(live, written[address]) is held


# --- the delete of context defaults ---------------------------------------------------------

def _pruned() -> tuple[Tenant, plans.Change]:
    tenant, _ = _applied()
    rest = [m for m in _desired() if m.kind != "ContextDefaults"]
    plan = _plan(tenant.snapshot(), rest, prune=True)
    change = next(c for c in plan.changes if c.kind == "ContextDefaults")
    assert change.action is plans.Action.DELETE
    assert change.write == wt.ContextRemoval(("lang", "limits"))
    return tenant, change


def _reapply_keys(keys: list[str]) -> Edit:
    def edit(t: Tenant) -> None:
        entry: Any = copy.deepcopy(t.context("bot_sup")["context"][normalizing.CONTEXT_APPLIED_KEY])
        entry["value"] = {**entry["value"], "keys": keys}
        t.patch_context("bot_sup", {normalizing.CONTEXT_APPLIED_KEY: entry})
    return edit


def _drop(*keys: str) -> Edit:
    return lambda t: t.patch_context("bot_sup", dict.fromkeys(keys))


def _moved_on(t: Tenant) -> None:
    t.patch_context("bot_sup", {})  # only the version moves (as a marker's write would)


@pytest.mark.parametrize(
    ("edit", "untouched", "held"),
    [
        (_moved_on, True, False),  # only the version moved: the same removal goes again
        (_entry("campaign", {"value": 1, "scope": "global"}), True, False),  # not our key
        (_entry("lang", {"value": "de", "scope": "global"}), False, False),  # ours, edited
        (_entry("limits", {"value": {"max": 3}, "scope": "user"}), False, False),
        (_reapply_keys(["lang", "limits", "extra"]), False, False),  # it manages more now
        (_drop("lang", "limits", normalizing.CONTEXT_APPLIED_KEY), False, True),  # done already
        (_drop("lang", "limits"), False, False),  # applied entry left: next plan deletes again
    ],
    ids=["version-only", "someone-elses-key", "value", "scope", "applied-keys", "gone",
         "applied-entry-left"],
)
def test_a_context_delete_after_409_sends_its_removal_again_or_is_a_conflict(
    edit: Edit, untouched: bool, held: bool
) -> None:
    tenant, change = _pruned()
    edit(tenant)
    live = tenant.context("bot_sup")
    assert isinstance(change.write, wt.ContextRemoval)
    assert writing.untouched_since_plan(change, live, change.write) is untouched
    assert writing.context_holds(change, live, change.write) is held
    if held:  # "done already" means exactly: the next plan has nothing to delete
        rest = [m for m in _desired() if m.kind != "ContextDefaults"]
        assert not _plan(tenant.snapshot(), rest, prune=True).summary().has_changes
