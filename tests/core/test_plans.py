"""Plans: invariants, summary, fingerprint, and the saved-plan JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.core import planning, plans
from reconciler.core import writetypes as wt

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup"}


def _change(action: plans.Action, **over: Any) -> plans.Change:
    fields: dict[str, Any] = {
        "address": "Slot/support/x", "kind": "Slot", "bot": "support", "bot_id": "bot_sup",
        "name": "x", "action": action, "reason": "r", "drift": False,
        "before": {"a": 1}, "after": {"a": 2}, "write": b.slot_body(),
    }
    fields.update(over)
    return plans.Change(**fields)


@pytest.mark.parametrize(
    ("action", "over", "message"),
    [
        (plans.Action.CREATE, {}, "a create has no 'before'"),
        (plans.Action.DELETE, {"before": {"a": 1}}, "a delete has no 'after'"),
        (plans.Action.DELETE, {"after": None}, "a delete writes nothing"),
        (plans.Action.NOOP, {}, "a no-op writes nothing"),
        (plans.Action.UPDATE, {"write": None}, "needs a write body"),
        (plans.Action.UPDATE, {"write": b.context_body()}, "a ContextDefaults write body on a Slot"),
        (plans.Action.DELETE, {"kind": "ContextDefaults", "after": None,
                               "write": b.context_body()}, "a delete writes nothing but"),
        (plans.Action.UPDATE, {"kind": "ContextDefaults", "write": wt.ContextRemoval(("k",))},
         "only a delete removes, not an update"),
    ],
)
def test_change_invariants(action: plans.Action, over: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _change(action, **over)


def test_context_delete_may_carry_its_removal_patch() -> None:
    change = _change(plans.Action.DELETE, kind="ContextDefaults", after=None,
                     write=wt.ContextRemoval(("k",)))
    assert change.write == wt.ContextRemoval(("k",))


def _full_plan() -> plans.Plan:
    tenant = Tenant.of(*BOTS.values())
    tenant.add_slot("bot_sup", "old", labels={"managed-by": "cogctl"})
    tenant.add_slot("bot_sup", "theirs")
    desired: list[planning.Desired] = [
        b.integration("crm_lookup", secret_env="CRM_TOKEN"),
        b.slot("a"), b.slot("b", dependencies=("a",)),
        b.context({"lang": {"value": "en"}}), b.suite(),
    ]
    return planning.build_plan(desired, tenant.snapshot(), bot_ids=BOTS, target="staging",
                               prune=True, secrets={"CRM_TOKEN": b.CANARY})


def test_saved_plan_round_trips_through_json_text() -> None:
    plan = _full_plan()
    text = json.dumps(plan.to_json())
    again = plans.Plan.from_json(json.loads(text))
    assert again == plan
    assert again.to_json() == plan.to_json()
    assert next(iter(plan.to_json())) == "format_version"
    assert b.CANARY not in text


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format_version="2.0"), "format_version '2.0'"),
        (lambda d: d["changes"][0].update(action="explode"), "saved plan is not valid: changes.0.action"),
        (lambda d: d["changes"][0].update(before={"x": 1}), "a create has no 'before'"),
        (lambda d: d.pop("fingerprint"), "fingerprint"),
    ],
)
def test_bad_saved_plans_are_clear_errors(mutate: Any, message: str) -> None:
    data = _full_plan().to_json()
    mutate(data)
    with pytest.raises(errors.ConfigError, match=message):
        plans.Plan.from_json(data)


def test_from_json_refuses_non_objects() -> None:
    with pytest.raises(errors.ConfigError, match="not a saved plan"):
        plans.Plan.from_json(["not", "a", "plan"])


def test_summary_and_pending() -> None:
    plan = _full_plan()
    assert plan.summary() == plans.Summary(create=4, update=0, delete=1, unchanged=0)
    assert plan.pending() == plan.changes
    assert plan.changes[-1].action is plans.Action.DELETE


def test_summary_as_dict_has_the_four_counts_in_order() -> None:
    summary = plans.Summary(create=4, update=3, delete=1, unchanged=2, retrain_pending=5)
    assert list(summary.as_dict().items()) == [
        ("create", 4), ("update", 3), ("delete", 1), ("unchanged", 2),
    ]


def test_fingerprint_is_order_independent_and_sensitive_to_versions() -> None:
    one = plans.fingerprint_of({"a": "1", "b": "absent"})
    assert one == plans.fingerprint_of({"b": "absent", "a": "1"})
    assert one != plans.fingerprint_of({"a": "2", "b": "absent"})
    assert one.startswith("sha256:")
    assert len(one) == 7 + 64


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["saved-plan-1.3-creates.json", "saved-plan-1.3-changes.json"])
def test_plans_saved_before_write_bodies_were_typed_read_and_write_back_unchanged(
    name: str,
) -> None:
    """Written by cogctl when write bodies were plain JSON: the format did not change."""
    data = json.loads((DATA / name).read_text())
    plan = plans.Plan.from_json(data)
    assert plan.to_json() == data
    kinds = {(c.kind, c.action.value, type(c.write).__name__) for c in plan.changes}
    assert kinds <= {
        ("Integration", "create", "IntegrationBody"), ("Integration", "update", "IntegrationBody"),
        ("Slot", "create", "SlotBody"), ("Slot", "update", "SlotBody"), ("Slot", "delete", "NoneType"),
        ("ContextDefaults", "create", "ContextPatch"), ("ContextDefaults", "delete", "ContextRemoval"),
    }


def _write_of(data: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c["write"] for c in data["execution"]["changes"] if c["kind"] == kind)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _write_of(d, "Integration")["config"].update(auth_secret="s3cret"),
         "Integration/support/crm_lookup: write: config.auth_secret"),
        (lambda d: _write_of(d, "Slot").update(patterns="a"),
         "Slot/support/a: write: patterns"),
        (lambda d: _write_of(d, "Slot").update(slotId="x"), "write: slotId: Extra inputs"),
        (lambda d: _write_of(d, "Slot").update(triggerRetrain=True), "write: triggerRetrain"),
        (lambda d: _write_of(d, "ContextDefaults")["context"].update(lang={"value": 1}),
         "write: context.lang.scope"),
        (lambda d: _write_of(d, "ContextDefaults")["context"].update(
            lang={"value": "en", "scope": "global"}),
         "removal of context defaults sets a key"),
    ],
    ids=["secret-value", "pattern-type", "unknown-key", "retrain", "entry", "removal-sets"],
)
def test_a_saved_write_body_is_read_strictly(mutate: Any, message: str) -> None:
    data = json.loads((DATA / "saved-plan-1.3-changes.json").read_text())
    mutate(data)
    with pytest.raises(errors.ConfigError, match=message) as caught:
        plans.Plan.from_json(data)
    assert "s3cret" not in str(caught.value)
