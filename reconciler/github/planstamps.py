"""Plan stamps: what a plan shown on a pull request promised, in one hidden line.

A sticky plan comment carries, after the rendered plan, a hidden marker. Format 2 (written
now) is::

    <!-- cogctl-plan-stamp:prod v2 eNqrVkrOz0nPz... -->

whose payload is base64url(zlib(JSON)) of the plan's fingerprint, its counts, a digest of all
its changes and, object by object, what each change promised: the address, the action, a
digest of the content after (SHA-256 over its canonical JSON, RFC 8785) and the live version
of the object seen at review (``absent`` for a create). Format 1 (read still, never written)
is ``<!-- cogctl-plan-fingerprint:ENV FINGERPRINT create=N update=N delete=N changes=D -->``.

The merge-time check (``compare``) re-plans and holds the fresh plan against the stamp:

- every fresh change must have been shown, with the same action and content after;
- the object each fresh change touches must still be at the version seen at review;
- a shown change that the fresh plan no longer makes (someone already made it) is reported,
  never a reason to refuse: what is applied is still a part of what was reviewed;
- objects the plan of the pull request did not change are not compared at all, so a merge
  that changed other objects never blocks.

A stamp whose per-object list would not fit a comment (``MAX_PAYLOAD``) keeps only the whole
plan's digests; so does a format 1 stamp. Against those the check is the strict one: the same
live state (fingerprint) and the same changes. Pure: no network, no files.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import JsonValue

from reconciler.core import canonical

ENVIRONMENT_PATTERN = r"[A-Za-z0-9_.\-]+"
FORMAT = 2
MAX_PAYLOAD = 40_000  # characters of the v2 payload; beyond it, whole-plan digests only
_V1_RE = re.compile(
    rf"<!-- cogctl-plan-fingerprint:(?P<environment>{ENVIRONMENT_PATTERN}) "
    r"(?P<fingerprint>[A-Za-z0-9:+/=._\-]+) "
    r"create=(?P<create>\d+) update=(?P<update>\d+) delete=(?P<delete>\d+) "
    r"changes=(?P<changes>sha256:[0-9a-f]{64}) -->"
)
_V2_RE = re.compile(
    rf"<!-- cogctl-plan-stamp:(?P<environment>{ENVIRONMENT_PATTERN}) "
    r"v2 (?P<payload>[A-Za-z0-9_\-=]+) -->"
)
_FINGERPRINT_RE = re.compile(r"^[A-Za-z0-9:+/=._\-]+$")
_ACTIONS = ("create", "update", "delete")


class PlanDocumentError(ValueError):
    """The JSON given is neither a plan document (``--output json``) nor a saved plan."""


@dataclasses.dataclass(frozen=True)
class Promise:
    """One change a plan showed. ``seen``: the object's live version at review (``absent``
    for a create), or None when the plan did not record versions."""

    address: str
    action: str
    after: str
    seen: str | None


@dataclasses.dataclass(frozen=True)
class PlanStamp:
    """What one plan promised for one environment. Invariant: counts are non-negative.

    ``promises`` is None for a format 1 stamp and for one too large to list its objects.
    """

    environment: str
    fingerprint: str
    create: int
    update: int
    delete: int
    changes: str
    promises: tuple[Promise, ...] | None = None
    format: int = FORMAT

    def render(self) -> str:
        """The hidden marker line; parses back with ``find_stamp``."""
        if self.format == 1:
            return (
                f"<!-- cogctl-plan-fingerprint:{self.environment} {self.fingerprint} "
                f"create={self.create} update={self.update} delete={self.delete} "
                f"changes={self.changes} -->"
            )
        return f"<!-- cogctl-plan-stamp:{self.environment} v2 {self._payload()} -->"

    def _payload(self) -> str:
        body: dict[str, Any] = {
            "f": self.fingerprint, "n": [self.create, self.update, self.delete],
            "d": self.changes,
        }
        if self.promises is not None:
            body["o"] = [[p.address, p.action, p.after, p.seen] for p in self.promises]
        payload = _encode(body)
        if len(payload) > MAX_PAYLOAD and self.promises is not None:
            return dataclasses.replace(self, promises=None)._payload()
        return payload

    def describe(self) -> str:
        return f"{self.create} to add, {self.update} to change, {self.delete} to destroy"

    @property
    def by_address(self) -> dict[str, Promise]:
        return {p.address: p for p in self.promises or ()}


def _encode(body: Mapping[str, Any]) -> str:
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii")


def _decode(payload: str) -> dict[str, Any] | None:
    try:
        raw = zlib.decompressobj().decompress(base64.urlsafe_b64decode(payload), 4_000_000)
        body = json.loads(raw)
    except (ValueError, zlib.error):
        return None
    return body if isinstance(body, dict) else None


def find_stamp(text: str, environment: str) -> PlanStamp | None:
    """The last stamp for ``environment`` in ``text`` (a comment body), if any; either format."""
    found: list[tuple[int, PlanStamp]] = []
    for match in _V1_RE.finditer(text):
        if match["environment"] == environment:
            found.append((match.start(), PlanStamp(
                environment=environment, fingerprint=match["fingerprint"],
                create=int(match["create"]), update=int(match["update"]),
                delete=int(match["delete"]), changes=match["changes"], format=1,
            )))
    for match in _V2_RE.finditer(text):
        if match["environment"] == environment:
            stamp = _parse_v2(environment, match["payload"])
            if stamp is not None:
                found.append((match.start(), stamp))
    return max(found, key=lambda item: item[0])[1] if found else None


def _parse_v2(environment: str, payload: str) -> PlanStamp | None:
    body = _decode(payload)
    if body is None:
        return None
    try:
        create, update, delete = (int(n) for n in body["n"])
        promises = None
        if "o" in body:
            promises = tuple(
                Promise(str(a), str(x), str(h), None if s is None else str(s))
                for a, x, h, s in body["o"]
            )
        return PlanStamp(environment, str(body["f"]), create, update, delete, str(body["d"]),
                         promises)
    except (KeyError, TypeError, ValueError):
        return None


def content_digest(after: Any) -> str:
    """A short digest of a change's content after (128 bits: plenty to tell contents apart)."""
    return "sha256:" + hashlib.sha256(canonical.dumps(after)).hexdigest()[:32]


def _changes_digest(changes: Sequence[Mapping[str, Any]]) -> str:
    """The whole plan's digest (the one format 1 stamps carry; kept byte for byte)."""
    promised: list[dict[str, Any]] = [
        {
            "address": change.get("address"),
            "action": change.get("action"),
            "after": change.get("after"),
            "paths": sorted(str(d.get("path")) for d in change.get("diff") or ()),
        }
        for change in changes
        if change.get("action") != "no-op"
    ]
    promised.sort(key=lambda item: (str(item["address"]), str(item["action"])))
    return "sha256:" + hashlib.sha256(canonical.dumps(cast(JsonValue, promised))).hexdigest()


def stamp_document(document: Mapping[str, Any], *, environment: str) -> PlanStamp:
    """The stamp of a plan: a ``plan --output json`` document or a saved plan.

    Live versions come from the plan's ``observed`` map when it has one (a saved plan does);
    without it each promise's ``seen`` is None.
    """
    if not re.fullmatch(ENVIRONMENT_PATTERN, environment):
        raise PlanDocumentError(f"environment name {environment!r} is not usable in a marker")
    try:
        fingerprint = str(document["fingerprint"])
        changes = document["changes"]
        summary = document.get("summary")
        if summary is not None:
            for key in _ACTIONS:
                int(summary[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanDocumentError(f"not a plan document: missing or bad {exc}") from exc
    if not _FINGERPRINT_RE.fullmatch(fingerprint):
        raise PlanDocumentError(f"plan fingerprint {fingerprint!r} has unexpected characters")
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise PlanDocumentError("not a plan document: 'changes' is not a list of objects")
    observed = document.get("observed")
    seen: Mapping[str, Any] = observed if isinstance(observed, Mapping) else {}
    pending = [c for c in changes if c.get("action") in _ACTIONS]
    promises = tuple(sorted(
        (Promise(str(c.get("address")), str(c.get("action")), content_digest(c.get("after")),
                 None if not seen else str(seen.get(c.get("address"), "absent")))
         for c in pending),
        key=lambda p: p.address,
    ))
    counts = {key: sum(1 for c in pending if c.get("action") == key) for key in _ACTIONS}
    return PlanStamp(environment=environment, fingerprint=fingerprint,
                     changes=_changes_digest(changes), promises=promises, **counts)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """How a fresh plan stands against the plan reviewed on the pull request.

    ``unshown``: changes the fresh plan makes that the review did not show; ``altered``:
    shown objects whose action or content after is now different; ``moved``: objects a fresh
    change touches whose live version is not the one seen at review; ``done``: shown changes
    the fresh plan no longer makes. ``strict``: a whole-plan comparison (old or too large
    stamp), whose reasons are in ``reasons``.
    """

    unshown: tuple[str, ...] = ()
    altered: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    done: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    strict: bool = False

    @property
    def accepted(self) -> bool:
        return not (self.unshown or self.altered or self.moved or self.reasons)

    def objects(self) -> tuple[str, ...]:
        """Every object that makes the verdict a refusal, sorted."""
        return tuple(sorted({*self.unshown, *self.altered, *self.moved}))

    def explain(self) -> list[str]:
        """One phrase per kind of problem, naming the objects."""
        found = list(self.reasons)
        if self.moved:
            found.append("changed since the review (live version is not the one seen): "
                         + ", ".join(self.moved))
        if self.altered:
            found.append("planned differently than shown: " + ", ".join(self.altered))
        if self.unshown:
            found.append("changes the reviewed plan did not show: " + ", ".join(self.unshown))
        return found


def compare(shown: PlanStamp, fresh: PlanStamp) -> Verdict:
    """Judge ``fresh`` (planned after the merge) against ``shown`` (see the module docstring)."""
    if shown.promises is None or fresh.promises is None:
        return Verdict(reasons=tuple(differences(shown, fresh)), strict=True)
    reviewed = shown.by_address
    now = fresh.by_address
    unshown, altered, moved = [], [], []
    versions_known = all(p.seen is not None for p in (*shown.promises, *fresh.promises))
    for address, change in sorted(now.items()):
        promise = reviewed.get(address)
        if promise is None:
            unshown.append(address)
        elif (promise.action, promise.after) != (change.action, change.after):
            altered.append(address)
        elif versions_known and promise.seen != change.seen:
            moved.append(address)
    reasons: tuple[str, ...] = ()
    if not versions_known and shown.fingerprint != fresh.fingerprint:
        # Without versions per object only the whole live state can vouch for them.
        reasons = (f"live state changed since the plan was shown (fingerprint "
                   f"{shown.fingerprint} -> {fresh.fingerprint})",)
    done = tuple(sorted(set(reviewed) - set(now)))
    return Verdict(tuple(unshown), tuple(altered), tuple(moved), done, reasons)


def differences(shown: PlanStamp, fresh: PlanStamp) -> list[str]:
    """The strict comparison: what differs between two whole plans; [] if none."""
    found: list[str] = []
    if shown.fingerprint != fresh.fingerprint:
        found.append(
            f"live state changed since the plan was shown "
            f"(fingerprint {shown.fingerprint} -> {fresh.fingerprint})"
        )
    for key in _ACTIONS:
        before, after = getattr(shown, key), getattr(fresh, key)
        if before != after:
            found.append(f"{key} count {before} -> {after}")
    if shown.changes != fresh.changes:
        found.append(f"planned changes differ in content ({shown.changes} -> {fresh.changes})")
    return found


def refusal_comment(*, environment: str, pull_request: int, verdict: Verdict,
                    run_url: str | None = None) -> str:
    """The pull-request comment that says why the merged plan was not applied, and what to do."""
    lines = [
        f"### cogctl did not apply `{environment}`",
        "",
        f"The plan reviewed on #{pull_request} is not what applying `{environment}` would do "
        "now, so nothing was applied:",
        "",
        *(f"- {reason}" for reason in verdict.explain()),
    ]
    if verdict.objects():
        lines += ["", "Objects:", "", *(f"- `{address}`" for address in verdict.objects())]
    lines += [
        "",
        "**To re-plan:** open a pull request from the current `main` that touches the "
        "manifests (or re-run the plan workflow on one), review the plan it shows for "
        f"`{environment}`, and merge it; apply then checks against that plan. If a change "
        "made outside cogctl should stay, put it in the manifests in that pull request.",
    ]
    if run_url:
        lines += ["", f"Run: {run_url}"]
    return "\n".join(lines) + "\n"
