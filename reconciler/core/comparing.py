"""Decide one existing object's action, reason and drift from its contents and applied hash.

Three hashes decide (all over normalized content, see ``normalizing``): ``live`` (what is
there now), ``wanted`` (what the manifests say) and ``applied`` (the applied hash: what cogctl
wrote last, in any version ``canonical.applied_hash_matches`` reads). Equal ``live`` and
``wanted`` is a no-op whatever the applied hash says, so an object edited by hand to exactly
what the manifests want is not reported. Otherwise:

- the manifests changed when ``applied != wanted`` (or there is no applied hash);
- the object was changed outside cogctl (drift) when an applied hash exists and
  ``applied != live``;
- both may hold at once; the reason says which.

Only objects whose hashes differ are deep-diffed; most unchanged objects are not even hashed
(``diffing.same_content``).
"""

from __future__ import annotations

import dataclasses

from pydantic import JsonValue

from reconciler.core import canonical, diffing, normalizing, plans
from reconciler.core import livetypes as lt

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

    ``drift_base``: the live content the applied hash is compared with when it differs from
    ``before`` (context defaults hash only the keys they manage). ``extra``: differences the
    contents cannot show (a secret whose value changed), reported with ``extra_reason``.
    ``textual``: ``after`` holds only text (see ``diffing.same_content``).
    """
    if holds(before, after, textual=textual, wanted_hash=wanted_hash, secret_differs=bool(extra)):
        return _SAME
    live_hash = diffing.content_hash(before)
    wanted_hash = wanted_hash or diffing.content_hash(after)
    diffs = _mark_sensitive(diffing.field_diffs(before, after)) + extra
    if drift_base is None:
        drift = applied_hash is not None and not canonical.applied_hash_matches(
            applied_hash, before, current=live_hash
        )
    else:
        drift = applied_hash is not None and not canonical.applied_hash_matches(
            applied_hash, drift_base
        )
    from_manifests = applied_hash is None or not canonical.applied_hash_matches(
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


def holds(
    live: JsonValue,
    wanted: JsonValue,
    *,
    textual: bool = False,
    wanted_hash: str | None = None,
    secret_differs: bool = False,
) -> bool:
    """Live already holds the desired value: the one rule of the planner (a no-op) and of
    apply after a 409 (the write is done already: an earlier attempt went through).

    ``live`` and ``wanted`` are normalized contents (``normalizing``): equal content hashes,
    whatever the applied hash says, and no stored secret known to differ (``secret_differs``,
    what the contents cannot show). ``textual`` and ``wanted_hash`` only save work.
    """
    if secret_differs:
        return False
    if diffing.same_content(live, wanted, textual=textual):
        return True
    return diffing.content_hash(live) == (wanted_hash or diffing.content_hash(wanted))


def secret_differs(live: lt.LiveIntegration, secret: str | None) -> bool:
    """The stored secret is known not to be ``secret`` (compared by the API's fingerprint; a
    value not available, or no stored secret at all, is never known to differ)."""
    return bool(live.get("auth_secret_sha256")) and normalizing.secret_matches(
        live, secret
    ) is False


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
