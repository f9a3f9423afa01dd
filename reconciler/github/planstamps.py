"""Plan stamps: what a plan shown on a pull request promised, in one hidden line.

A sticky plan comment carries, after the rendered plan, a hidden marker such as::

    <!-- cogctl-plan-fingerprint:prod sha256:3f.. create=1 update=2 delete=0 changes=sha256:9a.. -->

``fingerprint`` is the plan's fingerprint of the live state it saw (every object it looked at,
including "absent"); the counts are its summary; ``changes`` is a SHA-256 over the canonical
JSON (RFC 8785) of what it would write: address, action, the content after and the paths that
change, for every change that is not a no-op. The apply workflow re-plans after the merge and
refuses to apply when the fresh stamp differs from the one shown, so what was reviewed is
exactly what is applied. Pure: no network, no files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785

ENVIRONMENT_PATTERN = r"[A-Za-z0-9_.\-]+"
_STAMP_RE = re.compile(
    rf"<!-- cogctl-plan-fingerprint:(?P<environment>{ENVIRONMENT_PATTERN}) "
    r"(?P<fingerprint>[A-Za-z0-9:+/=._\-]+) "
    r"create=(?P<create>\d+) update=(?P<update>\d+) delete=(?P<delete>\d+) "
    r"changes=(?P<changes>sha256:[0-9a-f]{64}) -->"
)
_FINGERPRINT_RE = re.compile(r"^[A-Za-z0-9:+/=._\-]+$")


class PlanDocumentError(ValueError):
    """The JSON given is neither a plan document (``--output json``) nor a saved plan."""


@dataclass(frozen=True)
class PlanStamp:
    """What one plan promised for one environment. Invariant: counts are non-negative."""

    environment: str
    fingerprint: str
    create: int
    update: int
    delete: int
    changes: str

    def render(self) -> str:
        """The hidden marker line; parses back with ``find_stamp``."""
        return (
            f"<!-- cogctl-plan-fingerprint:{self.environment} {self.fingerprint} "
            f"create={self.create} update={self.update} delete={self.delete} "
            f"changes={self.changes} -->"
        )

    def describe(self) -> str:
        return (
            f"fingerprint {self.fingerprint}, {self.create} to add, {self.update} to change, "
            f"{self.delete} to destroy"
        )


def find_stamp(text: str, environment: str) -> PlanStamp | None:
    """The last stamp for ``environment`` in ``text`` (a comment body), if any."""
    found: PlanStamp | None = None
    for match in _STAMP_RE.finditer(text):
        if match["environment"] != environment:
            continue
        found = PlanStamp(
            environment=match["environment"],
            fingerprint=match["fingerprint"],
            create=int(match["create"]),
            update=int(match["update"]),
            delete=int(match["delete"]),
            changes=match["changes"],
        )
    return found


def _changes_digest(changes: Sequence[Mapping[str, Any]]) -> str:
    promised = [
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
    return "sha256:" + hashlib.sha256(rfc8785.dumps(promised)).hexdigest()


def stamp_document(document: Mapping[str, Any], *, environment: str) -> PlanStamp:
    """The stamp of a plan document (the ``plan --output json`` shape of interfaces.md)."""
    if not re.fullmatch(ENVIRONMENT_PATTERN, environment):
        raise PlanDocumentError(f"environment name {environment!r} is not usable in a marker")
    try:
        fingerprint = str(document["fingerprint"])
        summary = document["summary"]
        changes = document["changes"]
        counts = {key: int(summary[key]) for key in ("create", "update", "delete")}
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanDocumentError(f"not a plan document: missing or bad {exc}") from exc
    if not _FINGERPRINT_RE.fullmatch(fingerprint):
        raise PlanDocumentError(f"plan fingerprint {fingerprint!r} has unexpected characters")
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise PlanDocumentError("not a plan document: 'changes' is not a list of objects")
    return PlanStamp(
        environment=environment,
        fingerprint=fingerprint,
        changes=_changes_digest(changes),
        **counts,
    )


def differences(shown: PlanStamp, fresh: PlanStamp) -> list[str]:
    """What differs between the plan shown on the pull request and a fresh one; [] if none."""
    found: list[str] = []
    if shown.fingerprint != fresh.fingerprint:
        found.append(
            f"live state changed since the plan was shown "
            f"(fingerprint {shown.fingerprint} -> {fresh.fingerprint})"
        )
    for key in ("create", "update", "delete"):
        before, after = getattr(shown, key), getattr(fresh, key)
        if before != after:
            found.append(f"{key} count {before} -> {after}")
    if shown.changes != fresh.changes:
        found.append(f"planned changes differ in content ({shown.changes} -> {fresh.changes})")
    return found
