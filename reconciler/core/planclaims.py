"""A saved plan is a claim: what it binds itself to, and how it is held against the truth.

A saved plan says "these manifests, against the live state I observed, give these changes".
Apply checks every part of that claim before any write (``engine.savedplans`` runs the checks
in order) and refuses the plan on the first part that does not hold:

- ``fingerprint`` must be ``plans.fingerprint_of(observed)``: a plan whose fingerprint was
  edited, or whose observed versions were, is not the plan that was made
  (``fingerprint_problem``);
- ``source`` must be ``source_digest`` of the validated manifests and project file this run
  loads: the plan was made from these inputs and no others;
- the plan apply executes is re-derived from those manifests against the live state, with
  the options the plan was made with; it must equal the saved plan change for change, field
  for field (write bodies, ids, the variable each secret comes from, dependencies, what was
  shown), and check for check (``differences``). Nothing in a saved plan is taken on trust.

A retraining left pending by an interrupted apply is the one thing a re-derived plan may add
or drop: its marker is not an observed object, so it may come or go between plan and apply,
and retraining once more is always safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping, Sequence

from pydantic import JsonValue

from reconciler.core import canonical, plans
from reconciler.manifests import models

Desired = models.Integration | models.Slot | models.ContextDefaults | models.SimulationSuite
_SHOWN = 6  # differences named in one message; the rest are counted


def source_digest(
    manifests: Iterable[Desired],
    config: models.ProjectConfig | None,
    environment: str | None,
) -> str:
    """``sha256:<hex>`` over the canonical JSON of the validated manifests (by address), the
    project file and the chosen environment: what a plan was made from. Formatting,
    comments and file layout do not count; every value that can change a plan does."""
    content: JsonValue = {
        "manifests": [
            m.model_dump(mode="json") for m in sorted(manifests, key=lambda m: m.address)
        ],
        "project": config.model_dump(mode="json") if config is not None else None,
        "environment": environment,
    }
    return "sha256:" + hashlib.sha256(canonical.dumps(content)).hexdigest()


def fingerprint_problem(plan: plans.Plan) -> str | None:
    """Why the plan's fingerprint is not the one of what it observed, or None when it is."""
    recomputed = plans.fingerprint_of(plan.observed)
    if plan.fingerprint == recomputed:
        return None
    return (f"its fingerprint {plan.fingerprint} is not the one of the live versions it "
            f"records ({recomputed}): the file was changed after it was made")


def differences(saved: plans.Plan, fresh: plans.Plan) -> list[str]:
    """What differs between a saved plan and the plan re-derived for it; [] if nothing."""
    found: list[str] = []
    if saved.target != fresh.target:
        found.append(f"target {saved.target!r} -> {fresh.target!r}")
    if dict(saved.observed) != dict(fresh.observed):
        found.extend(_mapping_differences("observed", saved.observed, fresh.observed))
    found.extend(_change_differences(saved.changes, fresh.changes))
    for name in ("unmanaged", "orphaned"):
        if getattr(saved, name) != getattr(fresh, name):
            found.append(f"{name} objects differ")
    pending = saved.pending_bots() | fresh.pending_bots()
    if _settled(saved.retrain, pending) != _settled(fresh.retrain, pending):
        found.append("bots to retrain differ")
    found.extend(_check_differences(saved, fresh, pending))
    return found


def describe(found: Sequence[str]) -> str:
    """The differences as one line: the first few, then how many more."""
    shown = "; ".join(found[:_SHOWN])
    more = len(found) - _SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def _mapping_differences(
    what: str, saved: Mapping[str, str], fresh: Mapping[str, str]
) -> list[str]:
    left, right = dict(saved), dict(fresh)
    keys = sorted(set(left) | set(right))
    return [f"{what} {key}: {left.get(key)!r} -> {right.get(key)!r}"
            for key in keys if left.get(key) != right.get(key)]


def _change_differences(
    saved: Sequence[plans.Change], fresh: Sequence[plans.Change]
) -> list[str]:
    found: list[str] = []
    saved_by = {c.address: c for c in saved}
    fresh_by = {c.address: c for c in fresh}
    for address in sorted(set(saved_by) - set(fresh_by)):
        found.append(f"{address}: in the saved plan, not in what the manifests give")
    for address in sorted(set(fresh_by) - set(saved_by)):
        found.append(f"{address}: the manifests give a change the saved plan does not show")
    for address in sorted(set(saved_by) & set(fresh_by)):
        fields = _changed_fields(saved_by[address], fresh_by[address])
        if fields:
            verb = "differs" if len(fields) == 1 else "differ"
            found.append(f"{address}: {', '.join(fields)} {verb}")
    if not found and [c.address for c in saved] != [c.address for c in fresh]:
        found.append("the order of the changes differs")
    return found


def _changed_fields(saved: plans.Change, fresh: plans.Change) -> list[str]:
    names = {
        "secret_env": "secret variable", "bot_id": "botId", "live_id": "live id",
        "live_version": "live version", "depends_on": "dependencies",
        "idempotency_key": "idempotency key", "write": "write body",
    }
    return [
        names.get(field, field)
        for field in (f.name for f in _FIELDS)
        if getattr(saved, field) != getattr(fresh, field)
    ]


def _settled(bots: Iterable[str], pending: frozenset[str]) -> list[str]:
    return [b for b in bots if b not in pending]


def _check_differences(
    saved: plans.Plan, fresh: plans.Plan, pending: frozenset[str]
) -> list[str]:
    """Checks must be equal where both plans have them; one side may lack a check only of a
    bot with a pending retraining, and never of an object the plan changes."""
    saved_by = {c.address: c for c in saved.verify}
    fresh_by = {c.address: c for c in fresh.verify}
    changed = {c.address for c in saved.pending()}
    found: list[str] = []
    for address in sorted(set(saved_by) | set(fresh_by)):
        left, right = saved_by.get(address), fresh_by.get(address)
        if left is not None and right is not None:
            if left != right:
                found.append(f"verification of {address} differs")
            continue
        only = left or right
        if only is not None and (only.bot_id not in pending or address in changed):
            side = "the saved plan" if left is not None else "the manifests"
            found.append(f"verification of {address} is only in {side}")
    return found


_FIELDS = dataclasses.fields(plans.Change)
