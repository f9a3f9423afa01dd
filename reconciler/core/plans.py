"""The plan as data: what apply will do, why, and against which live state.

A ``Plan`` is immutable and serialisable (``to_json``/``from_json`` round-trip exactly, so a
saved plan applies precisely what was shown). Invariants:

- ``changes`` are ordered for execution: creates and updates first, slot dependencies before
  their dependants; deletes last, dependants before what they depend on.
- Every change carries a human ``reason``; ``before`` is None for a create and ``after`` is
  None for a delete; ``write`` (a ``writetypes`` body of the change's kind) is None for a
  no-op and for a delete, except the delete of context defaults, whose ``write`` is the
  ``ContextRemoval`` of the keys managed when the plan was made; a create or update of
  context defaults carries a ``ContextPatch``.
- No secret value is ever part of a plan: secrets appear as ``SENSITIVE`` in ``before`` and
  ``after`` and as the environment variable name in ``secret_env``; apply resolves the value.
- ``observed`` maps every address the plan looked at to the live version it saw (or
  ``ABSENT``); ``fingerprint`` is ``fingerprint_of(observed)``, so apply can refuse a plan
  whose live state has moved on.
- ``retrain`` holds every bot apply retrains: those whose slots change and those with a
  retraining left pending by an interrupted apply (``pending_retrain``, see
  ``retrainmarks``). A pending retraining counts as a change in ``Summary.has_changes``.
  ``context_versions`` (botId -> contextVersion seen) lets apply set and clear the marker
  with If-Match and no extra read.
- ``source`` is the digest of what the plan was made from (``planclaims.source_digest``:
  the validated manifests and the project file), ``prune`` the option it was made with, and
  ``secrets_read`` the variables whose values it compared with stored secrets; with them,
  apply re-derives a saved plan and refuses it unless it is exactly what the manifests give.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import JsonValue

from reconciler.core import canonical, predicting, writetypes

# Of the plan document (``plandocuments``): 1.1 added pending retrainings (retrainmarks) and
# ``predicted``, 1.2 made the saved plan and ``--output json`` one format and added what
# verifies it, 1.3 ``targets`` (``--target``).
FORMAT_VERSION = "1.3"
SENSITIVE = "(sensitive)"
ABSENT = "absent"

JsonObject = dict[str, JsonValue]


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "no-op"


@dataclasses.dataclass(frozen=True)
class FieldDiff:
    """One changed field: ``path`` like ``spec.patterns[0]``; absent values are None.

    ``sensitive`` marks a secret's place: both sides then read ``SENSITIVE`` (or None when
    there is no secret), and the entry's presence is what says the secret changes.
    """

    path: str
    before: JsonValue
    after: JsonValue
    sensitive: bool = False


@dataclasses.dataclass(frozen=True)
class Change:
    """One object's planned action. Invariants are checked on construction."""

    address: str
    kind: str
    bot: str
    bot_id: str
    name: str
    action: Action
    reason: str
    drift: bool
    before: JsonObject | None
    after: JsonObject | None
    diff: tuple[FieldDiff, ...] = ()
    live_id: str | None = None
    live_version: str | None = None
    write: writetypes.WriteBody | None = None
    secret_env: str | None = None
    depends_on: tuple[str, ...] = ()
    idempotency_key: str | None = None

    def __post_init__(self) -> None:
        action = self.action
        if action is _NOOP:  # most changes of a large plan: checked first, in one test
            if self.write is not None:
                raise ValueError(f"{self.address}: a no-op writes nothing")
            return
        if action is _CREATE and self.before is not None:
            raise ValueError(f"{self.address}: a create has no 'before'")
        if action is _DELETE and self.after is not None:
            raise ValueError(f"{self.address}: a delete has no 'after'")
        write = self.write
        if write is None:
            if action is not _DELETE:
                raise ValueError(f"{self.address}: a {action.value} needs a write body")
            return
        if write.kind != self.kind:
            raise ValueError(f"{self.address}: a {write.kind} write body on a {self.kind}")
        removes = write.op == "remove"
        if action is _DELETE and not removes:
            raise ValueError(f"{self.address}: a delete writes nothing but a removal")
        if action is not _DELETE and removes:
            raise ValueError(f"{self.address}: only a delete removes, not an {action.value}")


# Enum members read through the class cost a lookup each; a large plan checks them per change.
_CREATE, _UPDATE, _DELETE, _NOOP = Action.CREATE, Action.UPDATE, Action.DELETE, Action.NOOP


@dataclasses.dataclass(frozen=True)
class VerifyCheck:
    """What apply verifies after retraining.

    ``check`` is ``extraction`` (a changed slot: ``slot_id``, ``min_extraction_rate``,
    ``max_regression``) or ``simulation`` (a suite of a changed bot: ``min_pass_rate``).
    """

    address: str
    check: Literal["extraction", "simulation"]
    bot_id: str
    slot_id: str | None = None
    min_extraction_rate: float | None = None
    max_regression: float | None = None
    min_pass_rate: float | None = None

    def to_document(self) -> JsonObject:
        """The public JSON form (camelCase, as the manifests spell these settings)."""
        doc: JsonObject = {"address": self.address, "check": self.check, "botId": self.bot_id}
        if self.check == "extraction":
            doc.update(
                slotId=self.slot_id,
                minExtractionRate=self.min_extraction_rate,
                maxRegression=self.max_regression,
            )
        else:
            doc["minPassRate"] = self.min_pass_rate
        return doc


@dataclasses.dataclass(frozen=True)
class PendingRetrain:
    """A bot whose retraining an interrupted apply left pending (its marker was live).

    ``job_id``: the job that apply started and left running, which the next apply joins.
    """

    bot_id: str
    reason: str
    job_id: str | None = None

    def to_document(self) -> JsonObject:
        return {"botId": self.bot_id, "reason": self.reason, "jobId": self.job_id}


@dataclasses.dataclass(frozen=True)
class Summary:
    create: int
    update: int
    delete: int
    unchanged: int
    retrain_pending: int = 0

    @property
    def has_changes(self) -> bool:
        """Something to write, or a retraining an interrupted apply left pending."""
        return bool(self.create or self.update or self.delete or self.retrain_pending)

    def as_dict(self) -> dict[str, int]:
        """The four counts every plan document and event shows, in that order."""
        return {"create": self.create, "update": self.update, "delete": self.delete,
                "unchanged": self.unchanged}


@dataclasses.dataclass(frozen=True)
class Plan:
    """An ordered, immutable plan (see the module docstring for the invariants).

    ``unmanaged``: live objects in the manifests' bots that are neither in the manifests nor
    labelled ``managed-by: cogctl``; never touched. ``orphaned``: objects labelled as ours
    that left the manifests; deleted only when the plan was built with ``prune=True`` (then
    they are delete changes instead). ``predictions``: for each created or updated slot with
    examples, its examples' pass rate with the live and the new patterns (``predicting``).
    ``targets``: the ``--target`` patterns the plan was limited to (empty: the whole desired
    state).
    """

    target: str
    fingerprint: str
    changes: tuple[Change, ...] = ()
    unmanaged: tuple[str, ...] = ()
    orphaned: tuple[str, ...] = ()
    retrain: tuple[str, ...] = ()
    verify: tuple[VerifyCheck, ...] = ()
    observed: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pending_retrain: tuple[PendingRetrain, ...] = ()
    context_versions: Mapping[str, str] = dataclasses.field(default_factory=dict)
    predictions: tuple[predicting.Prediction, ...] = ()
    targets: tuple[str, ...] = ()
    source: str = ""
    prune: bool = False
    secrets_read: tuple[str, ...] = ()
    format_version: str = FORMAT_VERSION

    def summary(self) -> Summary:
        counts = {action: 0 for action in Action}
        for change in self.changes:
            counts[change.action] += 1
        return Summary(
            create=counts[Action.CREATE],
            update=counts[Action.UPDATE],
            delete=counts[Action.DELETE],
            unchanged=counts[Action.NOOP],
            retrain_pending=len(self.pending_retrain),
        )

    def prediction_for(self, address: str) -> predicting.Prediction | None:
        return next((p for p in self.predictions if p.address == address), None)

    def regressions(self) -> tuple[predicting.Prediction, ...]:
        """Predictions whose pass rate drops by more than the slot's ``maxRegression``."""
        return tuple(p for p in self.predictions if p.regression)

    def pending_bots(self) -> frozenset[str]:
        """BotIds whose retraining an interrupted apply left pending."""
        return frozenset(p.bot_id for p in self.pending_retrain)

    def pending(self) -> tuple[Change, ...]:
        """The changes that write something, in execution order."""
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    def to_json(self) -> dict[str, Any]:
        """The saved-plan document (``plandocuments.saved_document``)."""
        from reconciler.core import plandocuments  # the format builds on this module

        return plandocuments.saved_document(self)

    @classmethod
    def from_json(cls, data: object) -> Plan:
        """Read a saved plan (``plandocuments.read_saved``); anything else is a ConfigError."""
        from reconciler.core import plandocuments

        return plandocuments.read_saved(data)


def fingerprint_of(observed: Mapping[str, str]) -> str:
    """``sha256:<hex>`` over the canonical JSON of address -> live version (or ``absent``)."""
    return "sha256:" + hashlib.sha256(canonical.dumps(dict(observed))).hexdigest()
