"""Decide one existing object's action, reason and drift from its contents and its stamp.

Three hashes decide (all over normalized content, see ``normalizing``): ``live`` (what is
there now), ``wanted`` (what the manifests say) and ``applied`` (the stamp: what cogctl wrote
last, in any stamp version ``canonical.stamp_matches`` reads). Equal ``live`` and ``wanted``
is a no-op whatever the stamp says, so an object edited by hand to exactly what the
manifests want is not reported. Otherwise:

- the manifests changed when ``applied != wanted`` (or there is no stamp);
- the object was changed outside cogctl (drift) when a stamp exists and ``applied != live``;
- both may hold at once; the reason says which.

Only objects whose hashes differ are deep-diffed; most unchanged objects are not even hashed
(``diffing.same_content``).
"""

from __future__ import annotations

import dataclasses

from pydantic import JsonValue

from reconciler.core import canonical, diffing, plans

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


_SAME = Verdict(plans.Action.NOOP, UNCHANGED, drift=False)


def compare(
    before: JsonValue,
    after: JsonValue,
    *,
    applied_hash: str | None,
    wanted_hash: str | None = None,
    drift_base: JsonValue = None,
    extra: tuple[plans.FieldDiff, ...] = (),
    extra_reason: str = "",
    textual: bool = False,
) -> Verdict:
    """Compare live ``before`` with wanted ``after`` (whose hash the caller may pass).

    ``drift_base``: the live content the stamp's hash is compared with when it differs from
    ``before`` (context defaults stamp only the keys they manage). ``extra``: differences the
    contents cannot show (a secret whose value changed), reported with ``extra_reason``.
    ``textual``: ``after`` holds only text (see ``diffing.same_content``).
    """
    if not extra and diffing.same_content(before, after, textual=textual):
        return _SAME
    live_hash = diffing.content_hash(before)
    wanted_hash = wanted_hash or diffing.content_hash(after)
    if live_hash == wanted_hash and not extra:
        return _SAME
    diffs = _mark_sensitive(diffing.field_diffs(before, after)) + extra
    if drift_base is None:
        drift = applied_hash is not None and not canonical.stamp_matches(
            applied_hash, before, current=live_hash
        )
    else:
        drift = applied_hash is not None and not canonical.stamp_matches(applied_hash, drift_base)
    from_manifests = applied_hash is None or not canonical.stamp_matches(
        applied_hash, after, current=wanted_hash
    )
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
