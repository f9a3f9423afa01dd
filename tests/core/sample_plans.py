"""Small hand-made plans for renderer tests: every action, drift, a secret, left-alone objects."""

from __future__ import annotations

from reconciler.core import plans

from . import builders as b

S = plans.SENSITIVE


def small_plan() -> plans.Plan:
    changes = (
        plans.Change(
            address="Integration/support/crm_lookup", kind="Integration", bot="support",
            bot_id="bot_sup", name="crm_lookup", action=plans.Action.CREATE,
            reason="new in manifests", drift=False, before=None,
            after={"labels": {}, "spec": {"url": "https://crm.example.com", "auth": {
                "type": "bearer", "secret": S}, "headers": {}, "timeoutSeconds": 30}},
            write=b.integration_body("crm_lookup"), secret_env="CRM_TOKEN", idempotency_key="k",
        ),
        plans.Change(
            address="Slot/support/order_number", kind="Slot", bot="support", bot_id="bot_sup",
            name="order_number", action=plans.Action.UPDATE,
            reason="changed outside cogctl since last apply (spec.patterns[0] changed)",
            drift=True, before={"spec": {"patterns": ["\\d{4}"]}},
            after={"spec": {"patterns": ["\\d{5}"]}},
            diff=(plans.FieldDiff("spec.patterns[0]", "\\d{4}", "\\d{5}"),),
            live_id="slot_1", live_version="3", write=b.slot_body("order_number"),
        ),
        plans.Change(
            address="Integration/support/billing", kind="Integration", bot="support",
            bot_id="bot_sup", name="billing", action=plans.Action.UPDATE,
            reason="spec.auth.secret changed (the value of BILL_TOKEN differs from the stored "
            "secret)", drift=False, before={"spec": {"auth": {"secret": S}}},
            after={"spec": {"auth": {"secret": S}}},
            diff=(plans.FieldDiff("spec.auth.secret", S, S, sensitive=True),),
            live_id="int_2", live_version="9", write=b.integration_body("billing"), secret_env="BILL_TOKEN",
        ),
        plans.Change(
            address="Slot/support/lang", kind="Slot", bot="support", bot_id="bot_sup",
            name="lang", action=plans.Action.NOOP, reason="matches the manifests", drift=False,
            before={"spec": {}}, after={"spec": {}}, live_id="slot_2", live_version="1",
        ),
        plans.Change(
            address="Slot/support/legacy", kind="Slot", bot="support", bot_id="bot_sup",
            name="legacy", action=plans.Action.DELETE,
            reason="not in manifests, labelled managed-by: cogctl", drift=False,
            before={"spec": {"patterns": ["old"]}}, after=None, live_id="slot_3",
            live_version="5",
        ),
    )
    observed = {c.address: c.live_version or plans.ABSENT for c in changes}
    return plans.Plan(
        target="staging", fingerprint=plans.fingerprint_of(observed), changes=changes,
        unmanaged=("Slot/support/hand_made",), retrain=("bot_sup",),
        verify=(plans.VerifyCheck("Slot/support/order_number", "extraction", "bot_sup",
                                  slot_id="slot_1", min_extraction_rate=0.85,
                                  max_regression=0.05),),
        observed=observed,
    )


def empty_plan() -> plans.Plan:
    return plans.Plan(target="staging", fingerprint=plans.fingerprint_of({}))


def many_changes(count: int) -> plans.Plan:
    changes = []
    for i in range(count):
        action = plans.Action.DELETE if i % 10 == 0 else plans.Action.UPDATE
        changes.append(plans.Change(
            address=f"Slot/support/slot_{i:05d}", kind="Slot", bot="support", bot_id="bot_sup",
            name=f"slot_{i:05d}", action=action, reason="spec.patterns[0] changed",
            drift=i % 7 == 0, before={"spec": {"patterns": [f"old_{i}_" + "x" * 40]}},
            after=None if action is plans.Action.DELETE else {"spec": {"patterns": [f"new_{i}"]}},
            diff=(plans.FieldDiff("spec.patterns[0]", f"old_{i}_" + "x" * 40, f"new_{i}"),),
            live_id=f"slot_{i}", live_version="1",
            write=None if action is plans.Action.DELETE else b.slot_body(f"slot_{i:05d}"),
        ))
    return plans.Plan(target="prod", fingerprint=plans.fingerprint_of({}), changes=tuple(changes))
