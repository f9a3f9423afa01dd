"""Set and clear the pending-retraining marker (``retrainmarks``) during one apply.

Policy (the marker is what makes an apply cut off between its slot writes and its retraining
converge on the next run):

- ``mark`` runs before any write: every bot with a slot to write gets the marker, one PATCH
  with If-Match per bot. A bot whose jobless marker is already live (an interrupted run)
  costs no request. A bot whose marker cannot be set gets its slot writes refused (``refused``
  says why): a slot written without the record could leave a stale model nobody sees. A 401
  or 403 there (``stopped``) stops the whole apply before its first write, as it would
  during the writes.
- The marker PATCH moves the bot's ``contextVersion``; ``adjusted`` hands a context change of
  the same plan the version that PATCH produced (when the plan saw the one it replaced), so
  the plan does not conflict with its own marker. ``saw`` follows later context writes.
- ``settle`` runs after retraining: a bot whose retraining succeeded is cleared (one PATCH);
  one still training at the deadline keeps the job id in its marker; a failed or unstarted
  retraining leaves the marker as it is. A bot marked by this run whose slots were certainly
  not written (not attempted, or refused with a conflict) is cleared as well.
- A 409 on a marker PATCH re-reads the context and writes once more over the version read:
  the marker key belongs to cogctl alone, so this overwrites nobody's work.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterable, Mapping

from reconciler import errors
from reconciler.backend import base
from reconciler.core import livetypes as lt
from reconciler.core import plans, retrainmarker
from reconciler.engine import applyresults, writing

_NOT_WRITTEN = frozenset({applyresults.Outcome.NOT_ATTEMPTED, applyresults.Outcome.CONFLICT})


class Markers:
    """The markers of one apply; one instance per ``applying.apply_plan`` call."""

    def __init__(self, backend: base.Backend, plan: plans.Plan) -> None:
        self._backend = backend
        self._versions: dict[str, str] = dict(plan.context_versions)
        self._live = {p.bot_id: retrainmarker.Marker(p.job_id) for p in plan.pending_retrain}
        self._replaced: dict[str, tuple[str, str]] = {}
        self.marked: set[str] = set()
        self.refused: dict[str, str] = {}
        self.stopped: str | None = None

    async def mark(self, bot_ids: Iterable[str]) -> None:
        """Record a pending retraining for every bot in ``bot_ids`` before its slots change."""
        todo = [b for b in sorted(set(bot_ids)) if self._live.get(b) != retrainmarker.Marker()]
        await asyncio.gather(*(self._mark_one(bot_id) for bot_id in todo))

    async def _mark_one(self, bot_id: str) -> None:
        try:
            before, stored = await self._patch(
                bot_id, retrainmarker.set_changes(retrainmarker.Marker())
            )
        except writing.FATAL as exc:
            self.stopped = f"could not record the pending retraining of {bot_id}: {exc}"
            return
        except errors.BackendError as exc:
            self.refused[bot_id] = f"could not record the pending retraining of {bot_id}: {exc}"
            return
        self.marked.add(bot_id)
        self._live[bot_id] = retrainmarker.Marker()
        self._replaced[bot_id] = (before, stored["contextVersion"])

    def adjusted(self, change: plans.Change) -> plans.Change:
        """``change`` with the context version this apply's own marker PATCH left."""
        replaced = self._replaced.get(change.bot_id)
        if change.kind != "ContextDefaults" or replaced is None:
            return change
        seen, now = replaced
        if change.live_version is not None and change.live_version != seen:
            return change  # the plan saw another version: let If-Match judge it
        return dataclasses.replace(change, live_version=now)

    def saw(self, change: plans.Change, result: applyresults.ChangeOutcome) -> None:
        """Follow the context version a context change of the plan left behind."""
        if change.kind == "ContextDefaults" and result.version:
            self._versions[change.bot_id] = result.version

    async def settle(
        self,
        retrains: Iterable[applyresults.RetrainOutcome],
        results: Mapping[str, applyresults.ChangeOutcome],
        plan: plans.Plan,
    ) -> None:
        """Clear or update markers after retraining (see the module docstring); never raises."""
        writes: list[tuple[str, dict[str, lt.ContextEntry | None]]] = []
        for retrain in retrains:
            if retrain.ok:
                writes.append((retrain.bot_id, retrainmarker.clear_changes()))
            elif retrain.status is applyresults.TrainingStatus.TIMED_OUT and retrain.job_id:
                marker = retrainmarker.Marker(retrain.job_id)
                writes.append((retrain.bot_id, retrainmarker.set_changes(marker)))
        trained = {r.bot_id for r in retrains}
        for bot_id in sorted(self.marked - trained - plan.pending_bots()):
            slots = [results[c.address] for c in plan.pending() if c.kind == "Slot"
                     and c.bot_id == bot_id and c.address in results]
            if all(r.outcome in _NOT_WRITTEN for r in slots):
                writes.append((bot_id, retrainmarker.clear_changes()))
        await asyncio.gather(*(self._settle_one(bot, body) for bot, body in writes))

    async def _settle_one(self, bot_id: str, body: dict[str, lt.ContextEntry | None]) -> None:
        # On failure the marker stays: the next plan lists the bot, the next apply retrains.
        with contextlib.suppress(errors.BackendError):
            await self._patch(bot_id, body)

    async def _patch(
        self, bot_id: str, body: dict[str, lt.ContextEntry | None]
    ) -> tuple[str, lt.LiveContext]:
        """PATCH with the latest known version; returns the version replaced and the result."""
        version = self._versions.get(bot_id)
        if version is None:
            version = (await self._backend.get_context(bot_id))["contextVersion"]
        try:
            stored = await self._backend.patch_context(bot_id, body, if_match=version)
        except errors.VersionConflictError:
            version = (await self._backend.get_context(bot_id))["contextVersion"]
            stored = await self._backend.patch_context(bot_id, body, if_match=version)
        self._versions[bot_id] = stored["contextVersion"]
        return version, stored
