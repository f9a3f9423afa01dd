"""Saved-plan claims, pure: the source digest, the fingerprint check, and the differences
between a saved plan and the plan re-derived for it, one table row per kind of tampering."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from reconciler.core import planclaims, plandocuments, planning, plans
from reconciler.core import writetypes as wt
from reconciler.manifests import models

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup"}


def _desired() -> list[planclaims.Desired]:
    return [b.integration("crm_lookup", secret_env="CRM_TOKEN"), b.slot("a"),
            b.slot("c", dependencies=("a",)), b.context({"lang": {"value": "en"}}), b.suite()]


def _plan() -> plans.Plan:
    return planning.build_plan(_desired(), Tenant.of(*BOTS.values()).snapshot(), bot_ids=BOTS,
                               target="staging", source="sha256:s")


def _at(plan: plans.Plan, address: str, **changes: object) -> plans.Plan:
    edited = tuple(dataclasses.replace(c, **changes) if c.address == address else c  # type: ignore[arg-type]
                   for c in plan.changes)
    return dataclasses.replace(plan, changes=edited)


def _patterns(plan: plans.Plan, address: str, patterns: list[str]) -> plans.Plan:
    change = next(c for c in plan.changes if c.address == address)
    assert isinstance(change.write, wt.SlotBody)
    return _at(plan, address, write=wt.SlotBody({**change.write.body, "patterns": patterns}))


TAMPERING: list[tuple[str, Callable[[plans.Plan], plans.Plan], str]] = [
    ("write body", lambda p: _patterns(p, "Slot/support/a", ["(a+)+$"]),
     "Slot/support/a: write body differs"),
    ("bot", lambda p: _at(p, "Slot/support/a", bot_id="bot_other"), "botId"),
    ("secret variable", lambda p: _at(p, "Integration/support/crm_lookup",
                                     secret_env="COGNIGY_CLIENT_SECRET"), "secret variable"),
    ("shown after", lambda p: _at(p, "Slot/support/a", after={"x": 1}), "after differs"),
    ("dependencies", lambda p: _at(p, "Slot/support/c", depends_on=()), "dependencies"),
    ("idempotency key", lambda p: _at(p, "Integration/support/crm_lookup",
                                     idempotency_key="k"), "idempotency key"),
    ("dropped change", lambda p: dataclasses.replace(p, changes=p.changes[1:]),
     "the manifests give a change the saved plan does not show"),
    ("extra change", lambda p: dataclasses.replace(p, changes=(*p.changes, dataclasses.replace(
        p.changes[1], address="Slot/support/zz", name="zz"))), "Slot/support/zz: in the saved"),
    ("order", lambda p: dataclasses.replace(p, changes=tuple(reversed(p.changes))),
     "order of the changes"),
    ("observed", lambda p: dataclasses.replace(p, observed={**p.observed, "Slot/support/q": "1"}),
     "observed Slot/support/q"),
    ("threshold", lambda p: dataclasses.replace(p, verify=tuple(
        dataclasses.replace(v, min_extraction_rate=0.0) for v in p.verify)), "verification of"),
    ("verification dropped", lambda p: dataclasses.replace(p, verify=()), "only in the manifests"),
    ("retraining dropped", lambda p: dataclasses.replace(p, retrain=()), "retrain"),
    ("target", lambda p: dataclasses.replace(p, target="prod"), "target"),
]


@pytest.mark.parametrize(("name", "tamper", "said"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_any_tampering_is_a_difference(name: str, tamper: Callable[[plans.Plan], plans.Plan],
                                       said: str) -> None:
    fresh = _plan()
    found = planclaims.differences(tamper(fresh), fresh)
    assert found, name
    assert said in planclaims.describe(found)


def test_the_same_plan_has_no_differences_even_through_the_file_format() -> None:
    fresh = _plan()
    saved = plandocuments.read_saved(json.loads(json.dumps(plandocuments.saved_document(fresh))))
    assert planclaims.differences(saved, fresh) == []


def test_a_pending_retraining_may_come_or_go() -> None:
    fresh = _plan()
    pending = plans.PendingRetrain("bot_later", "pending from an interrupted apply")
    later = dataclasses.replace(
        fresh, pending_retrain=(pending,), retrain=(*fresh.retrain, "bot_later"),
        verify=(*fresh.verify, plans.VerifyCheck("Slot/later/x", "extraction", "bot_later")))
    assert planclaims.differences(fresh, later) == []
    assert planclaims.differences(later, fresh) == []


def test_the_fingerprint_is_recomputed_from_what_was_observed() -> None:
    plan = _plan()
    assert planclaims.fingerprint_problem(plan) is None
    forged = dataclasses.replace(plan, fingerprint="sha256:" + "0" * 64)
    assert "not the one of the live versions it records" in str(
        planclaims.fingerprint_problem(forged))
    edited = dataclasses.replace(plan, observed={**plan.observed, "Slot/support/a": "9"})
    assert planclaims.fingerprint_problem(edited) is not None


def test_the_source_digest_covers_content_not_order_and_every_input() -> None:
    config = models.ProjectConfig.model_validate({"environments": {"a": {}, "b": {}}})
    base = planclaims.source_digest(_desired(), config, "a")
    assert base == planclaims.source_digest(list(reversed(_desired())), config, "a")
    assert base != planclaims.source_digest(_desired(), config, "b")
    assert base != planclaims.source_digest(_desired()[1:], config, "a")
    assert base != planclaims.source_digest(
        [*_desired()[:1], b.slot("a", patterns=(r"\d{6}",)), *_desired()[2:]], config, "a")
    other = models.ProjectConfig.model_validate(
        {"environments": {"a": {"vars": {"x": "y"}}, "b": {}}})
    assert base != planclaims.source_digest(_desired(), other, "a")
    assert base.startswith("sha256:")
