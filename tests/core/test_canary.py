"""A canary secret given to planning never appears in any plan form or rendering."""

from __future__ import annotations

import json

import pytest

from reconciler.core import planning, plans
from reconciler.rendering import jsonout, markdown, text

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup"}


def _plans_touching_the_secret() -> list[plans.Plan]:
    desired: list[planning.Desired] = [
        b.integration("crm_lookup", secret_env="CRM_TOKEN"), b.slot("order_number"),
    ]
    tenant = Tenant.of(*BOTS.values())
    secrets = {"CRM_TOKEN": b.CANARY}
    created = planning.build_plan(desired, tenant.snapshot(), bot_ids=BOTS, target="t",
                                  secrets=secrets)
    tenant.apply(created, {"CRM_TOKEN": "the-old-value"})
    rotated = planning.build_plan(desired, tenant.snapshot(), bot_ids=BOTS, target="t",
                                  secrets=secrets)
    pruned = planning.build_plan(desired[1:], tenant.snapshot(), bot_ids=BOTS, target="t",
                                 prune=True, secrets=secrets)
    assert rotated.changes[0].diff[0].sensitive  # the secret change is there, shown as such
    return [created, rotated, pruned]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["create", "rotate", "prune"])
def test_canary_never_appears(index: int) -> None:
    plan = _plans_touching_the_secret()[index]
    outputs = [
        text.render_plan(plan, color=False),
        text.render_plan(plan, color=True),
        json.dumps(jsonout.plan_document(plan)),
        markdown.render_plan(plan, environment="prod"),
        json.dumps(plan.to_json()),
        repr(plan),
    ]
    for output in outputs:
        assert b.CANARY not in output
    assert any("(sensitive)" in output for output in outputs)
