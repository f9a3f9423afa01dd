"""Planning: actions, reasons, drift, prune, ordering, ids, secrets, stale detection.

Live state comes from the emulator: plans are applied and outside edits made through the
real client, and every snapshot is what the engine's fetch reads back.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.core import livestate, planning, plans, writebodies
from reconciler.core import writetypes as wt

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup", "sales": "bot_sal"}
ENV = {"CRM_TOKEN": b.CANARY}


def _plan(desired: list[Any], live: livestate.LiveState, **kw: Any) -> plans.Plan:
    kw.setdefault("secrets", ENV)
    return planning.build_plan(desired, live, bot_ids=BOTS, target="test", **kw)


def _desired() -> list[Any]:
    return [
        b.integration("crm_lookup", secret_env="CRM_TOKEN", headers={"A": "1", "B": "2"}),
        b.slot("order_number"),
        b.slot("order_item", dependencies=("order_number",)),
        b.context({"lang": {"value": "en"}, "limits": {"value": {"max": 3}, "scope": "user"}}),
        b.slot("region", bot="sales", patterns=("north", "south"), fillStrategy="firstMatch"),
        b.suite("smoke"),
    ]


def _tenant(*more_bots: str) -> Tenant:
    return Tenant.of(*BOTS.values(), *more_bots)


def _applied(desired: list[Any], *more_bots: str) -> tuple[Tenant, plans.Plan]:
    tenant = _tenant(*more_bots)
    first = _plan(desired, tenant.snapshot())
    tenant.apply(first, ENV)
    return tenant, first


def _by_address(plan: plans.Plan) -> dict[str, plans.Change]:
    return {c.address: c for c in plan.changes}


def test_everything_new_is_created_with_applied_hashes_and_absent_observations() -> None:
    live = _tenant().snapshot()
    plan = _plan(_desired(), live)
    assert {c.action for c in plan.changes} == {plans.Action.CREATE}
    assert {c.reason for c in plan.changes} == {"new in manifests"}
    # Context defaults live in the bot's context, which always exists: its version is seen.
    observed = dict(plan.observed)
    context = live.bot("bot_sup").context
    assert context is not None
    assert observed.pop("ContextDefaults/support/defaults") == context["contextVersion"]
    assert set(observed.values()) == {plans.ABSENT}
    assert set(observed) | {"ContextDefaults/support/defaults"} == {
        c.address for c in plan.changes
    }
    write = _by_address(plan)["Slot/support/order_item"].write
    assert isinstance(write, wt.SlotBody)
    slot_write = write.body
    assert slot_write["labels"] == {
        "managed-by": "cogctl",
        "cogctl/applied-hash": slot_write["labels"]["cogctl/applied-hash"],
    }
    assert slot_write["dependencies"] == [writebodies.slot_id_for("bot_sup", "order_number")]
    assert slot_write["triggerRetrain"] is False
    assert plan.summary() == plans.Summary(create=5, update=0, delete=0, unchanged=0)
    assert plan.retrain == ("bot_sal", "bot_sup")


def test_applied_plan_converges_to_all_noop() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    again = _plan(desired, tenant.snapshot())
    assert [c.action for c in again.changes] == [plans.Action.NOOP] * 5
    assert not again.summary().has_changes
    assert again.retrain == ()
    assert again.verify == ()
    assert all(c.write is None and c.diff == () and not c.drift for c in again.changes)
    # Without the secret's value (a plan job without write secrets) it is still all no-op.
    blind = _plan(desired, tenant.snapshot(), secrets={})
    assert not blind.summary().has_changes


@pytest.mark.parametrize(
    ("edit", "expected_paths"),
    [
        ({"patterns": [r"\d{6}"]}, ["spec.patterns[0]"]),
        ({"patterns": [r"\d{5}", "x"]}, ["spec.patterns[1]"]),
        ({"fillStrategy": "strict"}, ["spec.fillStrategy"]),
        ({"labels": {"team": "ops"}}, ["labels.team"]),
    ],
)
def test_edit_outside_is_drift(edit: dict[str, Any], expected_paths: list[str]) -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    stored = tenant.snapshot().bot("bot_sup").slot_named("order_number")
    assert stored is not None
    labels = stored["labels"]
    if "labels" in edit:
        edit = {"labels": {**labels, **edit["labels"]}}
    tenant.edit_slot("bot_sup", "order_number", **edit)
    change = _by_address(_plan(desired, tenant.snapshot()))["Slot/support/order_number"]
    assert change.action is plans.Action.UPDATE
    assert change.drift is True
    assert change.reason.startswith("changed outside cogctl since last apply")
    assert [d.path for d in change.diff] == expected_paths


def test_manifest_change_is_not_drift_and_names_the_field() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    desired[1] = b.slot("order_number", patterns=(r"\d{6}",))
    change = _by_address(_plan(desired, tenant.snapshot()))["Slot/support/order_number"]
    assert (change.action, change.drift, change.reason) == (
        plans.Action.UPDATE, False, "spec.patterns[0] changed"
    )
    assert change.diff == (plans.FieldDiff("spec.patterns[0]", r"\d{5}", r"\d{6}"),)


def test_manifest_change_and_outside_edit_is_both() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    tenant.edit_slot("bot_sup", "order_number", fillStrategy="fuzzy")
    desired[1] = b.slot("order_number", patterns=(r"\d{6}",))
    change = _by_address(_plan(desired, tenant.snapshot()))["Slot/support/order_number"]
    assert change.drift is True
    assert "in manifests; also changed outside cogctl since last apply" in change.reason


def test_outside_edit_back_to_the_manifests_is_noop() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    desired[1] = b.slot("order_number", patterns=(r"\d{6}",))
    tenant.edit_slot("bot_sup", "order_number", patterns=[r"\d{6}"])
    change = _by_address(_plan(desired, tenant.snapshot()))["Slot/support/order_number"]
    assert (change.action, change.drift) == (plans.Action.NOOP, False)


@pytest.mark.parametrize(
    ("replacement", "action"),
    [
        (b.slot("region", bot="sales", patterns=("south", "north"), fillStrategy="firstMatch"),
         plans.Action.UPDATE),
        (b.integration("crm_lookup", secret_env="CRM_TOKEN", headers={"B": "2", "A": "1"}),
         plans.Action.NOOP),
        (b.integration("crm_lookup", secret_env="CRM_TOKEN", headers={"B": "2", "A": "1"},
                       timeoutSeconds=30, method="GET"), plans.Action.NOOP),
    ],
    ids=["pattern-order-matters", "maps-are-maps", "defaults"],
)
def test_order_and_defaults(replacement: Any, action: plans.Action) -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    changed = [replacement if m.address == replacement.address else m for m in desired]
    assert _by_address(_plan(changed, tenant.snapshot()))[replacement.address].action is action


def test_dependencies_are_a_set() -> None:
    desired = [b.slot("a"), b.slot("b"), b.slot("c", dependencies=("a", "b"))]
    tenant = _tenant()
    tenant.apply(_plan(desired, tenant.snapshot()))
    desired[2] = b.slot("c", dependencies=("b", "a"))
    assert not _plan(desired, tenant.snapshot()).summary().has_changes
    desired[2] = b.slot("c", dependencies=("b",))
    change = _by_address(_plan(desired, tenant.snapshot()))["Slot/support/c"]
    assert change.diff == (plans.FieldDiff("spec.dependencies", ["a", "b"], ["b"]),)


def test_live_object_without_an_applied_hash_is_adopted_only_when_it_differs() -> None:
    tenant = _tenant()
    tenant.add_slot("bot_sup", "order_number", patterns=(r"\d{5}",))
    same = _plan([b.slot("order_number")], tenant.snapshot())
    assert same.changes[0].action is plans.Action.NOOP
    other = _plan([b.slot("order_number", patterns=("z",))], tenant.snapshot())
    assert other.changes[0].action is plans.Action.UPDATE
    assert other.changes[0].drift is False
    assert "adopts an object not yet labelled managed-by: cogctl" in other.changes[0].reason
    assert other.changes[0].live_id == "slot_manual_order_number"


def test_prune_deletes_only_managed_objects_of_named_bots() -> None:
    desired = _desired()
    tenant, _ = _applied(desired, "bot_other")
    tenant.add_slot("bot_sup", "hand_made")
    tenant.add_slot("bot_other", "elsewhere", labels={"managed-by": "cogctl"})
    assert tenant.snapshot().bot("bot_other").slot_named("elsewhere") is not None
    without_slot = [m for m in desired if m.address != "Slot/support/order_item"]
    kept = _plan(without_slot, tenant.snapshot())
    assert kept.orphaned == ("Slot/support/order_item",)
    assert kept.unmanaged == ("Slot/support/hand_made",)
    assert not kept.summary().has_changes
    pruned = _plan(without_slot, tenant.snapshot(), prune=True)
    deletes = [c for c in pruned.changes if c.action is plans.Action.DELETE]
    assert [(c.address, c.reason) for c in deletes] == [
        ("Slot/support/order_item", "not in manifests, labelled managed-by: cogctl")
    ]
    assert deletes[0].after is None
    assert deletes[0].write is None
    assert deletes[0].live_id == writebodies.slot_id_for("bot_sup", "order_item")
    assert pruned.unmanaged == ("Slot/support/hand_made",)
    assert pruned.retrain == ("bot_sup",)
    tenant.apply(pruned, ENV)
    assert not _plan(without_slot, tenant.snapshot(), prune=True).summary().has_changes


def test_creates_follow_dependency_chains_and_deletes_go_in_reverse() -> None:
    chain = [
        b.slot("c_last", dependencies=("b_middle",)),
        b.slot("a_first", dependencies=()),
        b.slot("b_middle", dependencies=("a_first", "z_root")),
        b.slot("z_root"),
    ]
    plan = _plan(chain, _tenant().snapshot())
    order = [c.name for c in plan.changes]
    assert order.index("z_root") < order.index("b_middle") < order.index("c_last")
    assert order.index("a_first") < order.index("b_middle")
    assert _by_address(plan)["Slot/support/b_middle"].depends_on == (
        "Slot/support/a_first", "Slot/support/z_root"
    )
    tenant = _tenant()
    tenant.apply(plan)
    pruned = _plan([b.integration("keep")], tenant.snapshot(), prune=True)
    deletes = [c.name for c in pruned.changes if c.action is plans.Action.DELETE]
    assert deletes.index("c_last") < deletes.index("b_middle") < deletes.index("z_root")
    assert deletes.index("b_middle") < deletes.index("a_first")
    assert pruned.changes[0].name == "keep"  # writes before deletes


def test_ids_and_idempotency_keys_are_deterministic() -> None:
    live = _tenant().snapshot()
    one, two = _plan(_desired(), live), _plan(_desired(), live)
    assert one == two
    slot = _by_address(one)["Slot/support/order_number"]
    assert slot.live_id == writebodies.slot_id_for("bot_sup", "order_number")
    assert slot.live_id is not None
    assert slot.live_id.startswith("slot_")
    assert len(slot.live_id) == 21
    assert writebodies.slot_id_for("bot_sal", "order_number") != slot.live_id
    crm = _by_address(one)["Integration/support/crm_lookup"]
    assert crm.idempotency_key
    assert crm.live_id is None
    changed = [b.integration("crm_lookup", url="https://other.example.com")]
    other = _by_address(_plan(changed, live))["Integration/support/crm_lookup"]
    assert other.idempotency_key != crm.idempotency_key


def test_secrets_compare_through_their_fingerprint() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    rotated = _by_address(_plan(desired, tenant.snapshot(), secrets={"CRM_TOKEN": "new"}))
    change = rotated["Integration/support/crm_lookup"]
    assert change.action is plans.Action.UPDATE
    assert change.drift is False
    assert change.diff == (plans.FieldDiff("spec.auth.secret", "(sensitive)", "(sensitive)", True),)
    assert "CRM_TOKEN" in change.reason
    assert change.secret_env == "CRM_TOKEN"
    unset = _plan(desired, tenant.snapshot(), secrets={"CRM_TOKEN": None})
    assert _by_address(unset)["Integration/support/crm_lookup"].action is plans.Action.NOOP
    dropped = [b.integration("crm_lookup", headers={"A": "1", "B": "2"}), *desired[1:]]
    change = _by_address(_plan(dropped, tenant.snapshot()))["Integration/support/crm_lookup"]
    assert [(d.path, d.sensitive) for d in change.diff] == [
        ("spec.auth.secret", True), ("spec.auth.type", False)
    ]
    assert isinstance(change.write, wt.IntegrationBody)
    assert change.write.clears_secret
    assert change.write.to_json()["config"] == {**change.write.body["config"], "auth_secret": None}
    assert change.write.wire(None)["config"]["auth_secret"] is None
    tenant.apply(_plan(dropped, tenant.snapshot()), ENV)
    assert not _plan(dropped, tenant.snapshot()).summary().has_changes


def test_context_defaults_manage_only_their_keys() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    tenant.patch_context("bot_sup", {"someone_elses": {"value": 1, "scope": "global"}})
    assert not _plan(desired, tenant.snapshot()).summary().has_changes
    fewer = [*desired[:3], b.context({"lang": {"value": "en"}}), *desired[4:]]
    change = _by_address(_plan(fewer, tenant.snapshot()))["ContextDefaults/support/defaults"]
    assert change.action is plans.Action.UPDATE
    assert not change.drift
    assert [d.path for d in change.diff] == ["variables.limits"]
    patch = b.written_context(change)
    assert patch["limits"] is None
    assert "someone_elses" not in patch
    tenant.apply(_plan(fewer, tenant.snapshot()), ENV)
    assert not _plan(fewer, tenant.snapshot()).summary().has_changes
    tenant.patch_context("bot_sup", {"lang": {"value": "de", "scope": "global"}})
    drifted = _by_address(_plan(fewer, tenant.snapshot()))["ContextDefaults/support/defaults"]
    assert drifted.drift
    assert drifted.reason.startswith("changed outside cogctl")


def test_context_defaults_without_manifest_are_pruned_with_a_removal_patch() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    rest = [m for m in desired if m.kind != "ContextDefaults"]
    assert _plan(rest, tenant.snapshot()).orphaned == ("ContextDefaults/support/defaults",)
    pruned = _by_address(_plan(rest, tenant.snapshot(), prune=True))
    change = pruned["ContextDefaults/support/defaults"]
    assert change.action is plans.Action.DELETE
    assert change.write == wt.ContextRemoval(("lang", "limits"))
    assert change.write.to_json() == {
        "context": {"lang": None, "limits": None, "_cogctl_applied": None}
    }
    tenant.apply(_plan(rest, tenant.snapshot(), prune=True))
    assert tenant.context("bot_sup")["context"] == {}


def test_verify_lists_changed_slots_and_suites_of_changed_bots() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    desired[4] = b.slot("region", bot="sales", patterns=("east",), verify={"minExtractionRate": 0.9})
    desired.append(b.suite("sales_smoke", bot="sales"))
    plan = _plan(desired, tenant.snapshot())
    assert plan.retrain == ("bot_sal",)
    assert plan.verify == (
        plans.VerifyCheck("Slot/sales/region", "extraction", "bot_sal",
                          slot_id=writebodies.slot_id_for("bot_sal", "region"),
                          min_extraction_rate=0.9, max_regression=0.05),
        plans.VerifyCheck("SimulationSuite/sales/sales_smoke", "simulation", "bot_sal",
                          min_pass_rate=0.95),
    )


def test_two_context_documents_for_one_bot_are_refused() -> None:
    with pytest.raises(errors.ManifestError, match="ContextDefaults"):
        _plan([b.context({}, name="a"), b.context({}, name="b")], livestate.LiveState())


def test_stale_addresses() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    desired.append(b.slot("newcomer"))
    plan = _plan(desired, tenant.snapshot())
    assert planning.stale_addresses(plan, tenant.snapshot(), BOTS) == []
    tenant.edit_slot("bot_sup", "order_number", fillStrategy="fuzzy")
    tenant.add_slot("bot_sup", "newcomer")
    tenant.patch_context("bot_sup", {})  # a write that changes nothing but the version
    assert planning.stale_addresses(plan, tenant.snapshot(), BOTS) == [
        "ContextDefaults/support/defaults", "Slot/support/newcomer", "Slot/support/order_number"
    ]
    tenant.delete_integration("bot_sup", "crm_lookup")
    stale = planning.stale_addresses(plan, tenant.snapshot(), BOTS)
    assert "Integration/support/crm_lookup" in stale


def test_fingerprint_covers_every_observed_object() -> None:
    desired = _desired()
    tenant, _ = _applied(desired)
    before = _plan(desired, tenant.snapshot())
    assert before.fingerprint == plans.fingerprint_of(before.observed)
    tenant.edit_slot("bot_sup", "order_item", fillStrategy="fuzzy")
    tenant.edit_slot("bot_sup", "order_item", fillStrategy="bestMatch")  # same content, new version
    after = _plan(desired, tenant.snapshot())
    assert not after.summary().has_changes
    assert after.fingerprint != before.fingerprint


def test_logical_bot_without_mapping_is_its_own_bot_id() -> None:
    plan = planning.build_plan([b.slot("x", bot="bot_raw")], livestate.LiveState(), bot_ids={},
                               target="t")
    assert plan.changes[0].bot_id == "bot_raw"
    assert plan.changes[0].address == "Slot/bot_raw/x"


def test_prune_names_an_unmanaged_slot_that_still_depends_on_the_deleted_one() -> None:
    desired = [b.slot("base"), b.slot("kept")]
    tenant = _tenant()
    tenant.apply(_plan(desired, tenant.snapshot()))
    tenant.add_slot("bot_sup", "theirs", dependencies=(writebodies.slot_id_for("bot_sup", "base"),))
    pruned = _plan(desired[1:], tenant.snapshot(), prune=True)
    [delete] = [c for c in pruned.changes if c.action is plans.Action.DELETE]
    assert delete.address == "Slot/support/base"
    assert delete.reason == (
        "not in manifests, labelled managed-by: cogctl; still a dependency of theirs, which "
        "cogctl does not manage: the API refuses the delete until that changes"
    )
    assert delete.depends_on == ("Slot/support/theirs",)
