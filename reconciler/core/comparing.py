"""Decide one existing object's action, reason and drift from its contents and its stamp.

Three hashes decide (all over normalized content, see ``normalizing``): ``live`` (what is
there now), ``wanted`` (what the manifests say) and ``applied`` (the stamp: what cogctl wrote
last). Equal ``live`` and ``wanted`` is a no-op whatever the stamp says, so an object edited
by hand to exactly what the manifests want is not reported. Otherwise:

- the manifests changed when ``applied != wanted`` (or there is no stamp);
- the object was changed outside cogctl (drift) when a stamp exists and ``applied != live``;
- both may hold at once; the reason says which.

Only objects whose hashes differ are deep-diffed.
"""

from __future__ import annotations

import dataclasses

from pydantic import JsonValue

from reconciler.core import diffing, plans

OUTSIDE = "changed outside cogctl since last apply"
NEW = "new in manifests"
ORPHAN = "not in manifests, labelled managed-by: cogctl"
UNCHANGED = "matches the manifests"


@dataclasses.dataclass(frozen=True)
class Verdict:
    action: plans.Action
    reason: str
    drift: bool
    diff: tuple[plans.FieldDiff, ...] = ()


def compare(
    before: JsonValue,
    after: JsonValue,
    *,
    applied_hash: str | None,
    wanted_hash: str | None = None,
    drift_base: JsonValue = None,
    extra: tuple[plans.FieldDiff, ...] = (),
    extra_reason: str = "",
) -> Verdict:
    """Compare live ``before`` with wanted ``after`` (whose hash the caller may pass).

    ``drift_base``: the live content the stamp's hash is compared with when it differs from
    ``before`` (context defaults stamp only the keys they manage). ``extra``: differences the
    contents cannot show (a secret whose value changed), reported with ``extra_reason``.
    """
    live_hash = diffing.content_hash(before)
    wanted_hash = wanted_hash or diffing.content_hash(after)
    if live_hash == wanted_hash and not extra:
        return Verdict(plans.Action.NOOP, UNCHANGED, drift=False)
    diffs = _mark_sensitive(diffing.field_diffs(before, after)) + extra
    stamped_hash = live_hash if drift_base is None else diffing.content_hash(drift_base)
    drift = applied_hash is not None and applied_hash != stamped_hash
    from_manifests = applied_hash != wanted_hash
    what = diffing.describe(diffs) + (f" ({extra_reason})" if extra_reason else "")
    if drift and from_manifests:
        reason = f"{what} in manifests; also {OUTSIDE}"
    elif drift:
        reason = f"{OUTSIDE} ({what})"
    elif applied_hash is None:
        reason = f"{what}; adopts an object not yet labelled managed-by: cogctl"
    else:
        reason = what
    return Verdict(plans.Action.UPDATE, reason, drift=drift, diff=diffs)


def _mark_sensitive(diffs: tuple[plans.FieldDiff, ...]) -> tuple[plans.FieldDiff, ...]:
    return tuple(
        dataclasses.replace(d, sensitive=True) if d.path.startswith("spec.auth.secret") else d
        for d in diffs
    )


def secret_diff() -> plans.FieldDiff:
    """The stored secret differs from the one the environment holds: shown, never revealed."""
    return plans.FieldDiff(
        "spec.auth.secret", plans.SENSITIVE, plans.SENSITIVE, sensitive=True
    )
