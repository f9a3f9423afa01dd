"""Property: whatever the manifests say, once their writes are stored the next plan is empty.

Stored by the emulator through the real client, and read back by the engine's fetch: the
JSON round trip, the server's defaults and its secret fingerprint are all in the loop.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.core import planning, plans

from . import builders as b
from .emulated import Tenant

BOTS = {"support": "bot_sup"}
_WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_NAME = _WORD
_LONG_NAME = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False, width=32) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_LABELS = st.dictionaries(_NAME, st.text(max_size=6), max_size=3)


@st.composite
def _manifests(draw: st.DrawFn) -> list[Any]:
    slot_names = draw(st.lists(_NAME, min_size=1, max_size=5, unique=True))
    out: list[Any] = []
    for index, name in enumerate(slot_names):
        deps = draw(st.lists(st.sampled_from(slot_names[:index]), unique=True, max_size=2)) \
            if index else []
        out.append(b.slot(
            name, dependencies=tuple(deps), labels=draw(_LABELS),
            patterns=tuple(draw(st.lists(_WORD, min_size=1, max_size=3, unique=True))),
            fillStrategy=draw(st.sampled_from(["bestMatch", "firstMatch", "strict", "fuzzy"])),
        ))
    for name in draw(st.lists(_LONG_NAME, max_size=3, unique=True)):
        out.append(b.integration(
            name, labels=draw(_LABELS),
            secret_env=draw(st.sampled_from([None, "CRM_TOKEN"])),
            headers=draw(st.dictionaries(_NAME, st.text(max_size=5), max_size=2)),
            requestMapping=draw(st.dictionaries(_NAME, _JSON, max_size=2)),
            method=draw(st.sampled_from(["POST", "PUT"])),
            timeoutSeconds=draw(st.integers(1, 120)),
        ))
    variables = draw(st.dictionaries(_NAME, _JSON, max_size=3))
    out.append(b.context({k: {"value": v} for k, v in variables.items()}))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_manifests())
def test_applied_manifests_plan_to_nothing(desired: list[Any]) -> None:
    tenant = Tenant.of(*BOTS.values())
    env = {"CRM_TOKEN": b.CANARY}
    first = planning.build_plan(desired, tenant.snapshot(), bot_ids=BOTS, target="t", secrets=env)
    assert {c.action for c in first.changes} <= {plans.Action.CREATE}
    tenant.apply(first, env)
    again = planning.build_plan(desired, tenant.snapshot(), bot_ids=BOTS, target="t", secrets=env)
    assert [c.address for c in again.changes if c.action is not plans.Action.NOOP] == []
    assert all(not c.drift for c in again.changes)
