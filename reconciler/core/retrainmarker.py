"""The pending-retraining marker: a crash-safe record, kept in the tenant, of a bot whose slots
were written but whose NLU model may not be trained on them yet.

Apply writes slots with ``triggerRetrain: false`` and retrains once per bot afterwards. A run
cut off between the two (Ctrl-C, a killed CI runner, a fault on the retrain request) would
leave live slots matching the manifests and the model stale, with nothing in a later plan to
say so. CI runs keep no local state, so the record lives in the bot's context defaults, beside
the applied hash, under the reserved key ``MARKER_KEY`` (scope ``global``)::

    "_cogctl_retrain": {"value": {"jobId": null}, "scope": "global"}

Invariants:

- Apply sets the marker (one PATCH with If-Match) before the first slot write of a bot and
  removes it (one PATCH) after that bot's retraining succeeded. When the retraining is still
  running at apply's deadline, the marker keeps the job's id instead, so the next run joins
  that job rather than starting another.
- A marker present at plan time puts the bot in ``plan.retrain`` (see ``planning``); it is
  never a change or drift itself, never compared with the manifests (it is not a managed
  key), never exported and never pruned.
- A garbled value still counts as pending (without a job id): retraining once too often is
  cheap, a stale model is not.
"""

from __future__ import annotations

import dataclasses

from reconciler.core import livetypes as lt
from reconciler.core import normalizing
from reconciler.manifests import models

MARKER_KEY = models.RETRAIN_MARKER_KEY
SCOPE = "global"


@dataclasses.dataclass(frozen=True)
class Marker:
    """A pending retraining; ``job_id`` is the job an earlier apply started and left running."""

    job_id: str | None = None


def marker_of(live: lt.LiveContext | None) -> Marker | None:
    """The marker in a bot's live context defaults, or None when no retraining is pending."""
    context = (live.get("context") if live else None) or {}
    if MARKER_KEY not in context:
        return None
    entry = context.get(MARKER_KEY)
    value = entry.get("value") if isinstance(entry, dict) else None
    job_id = value.get("jobId") if isinstance(value, dict) else None
    return Marker(job_id=job_id if isinstance(job_id, str) and job_id else None)


def entry_for(marker: Marker) -> lt.ContextEntry:
    """The context entry that records ``marker``."""
    return normalizing.context_entry(models.retrain_marker_entry(marker.job_id))


def set_changes(marker: Marker) -> dict[str, lt.ContextEntry | None]:
    """The PATCH merge body that records ``marker`` (touching no other key)."""
    return {MARKER_KEY: entry_for(marker)}


def clear_changes() -> dict[str, lt.ContextEntry | None]:
    """The PATCH merge body that removes the marker (touching no other key)."""
    return {MARKER_KEY: None}


def reason_for(bot_id: str, marker: Marker) -> str:
    """The plan's words for a pending retraining."""
    job = f" (job {marker.job_id} was still running)" if marker.job_id else ""
    return f"Retraining pending from an interrupted apply: {bot_id}{job}"
