"""Execute exactly a plan: in order, with bounded concurrency, then one retraining per bot.

Policy:
- Nothing is written until every secret the plan needs is resolved from the environment
  (a missing variable is a ``ConfigError`` naming the address and the variable).
- Creates and updates run concurrently (at most ``concurrency`` at once, all under the
  client's shared rate limiter); a change starts only after the changes it depends on
  finished, and is ``not attempted`` when one of them did not go through. Deletes run last,
  one at a time, in plan order (the plan puts dependants before their dependencies).
- A 401 or 403 stops the run: every change not yet started is ``not attempted``.
- Before any write, every bot with a slot to write gets the pending-retraining marker
  (``marking``); a bot whose marker cannot be set has its slot writes ``not attempted``.
- After the writes, each bot in ``plan.retrain`` with at least one slot written, and each bot
  whose retraining an interrupted apply left pending, is retrained once (``retraining``,
  joining a job an earlier run left running); then the markers are cleared.
- Every write is announced (``progress.WriteStarting``) before it is sent: the audit log
  records it durably first. When recording fails (``errors.AuditError``, also for the
  outcome of a write), that write is not sent and nothing after it is: changes not yet
  started are ``not attempted``, no retraining starts, and the result is ``halted``. The
  markers stay where they are, so the next apply retrains what needs it.
- The result always says what was and was not done; this module never raises on a write
  failure (only on a missing secret, before any write).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler import errors
from reconciler.backend import base
from reconciler.clock import Clock, Sleep
from reconciler.core import plans
from reconciler.engine import applyresults, progress, retraining, retrainmarking, writing
from reconciler.manifests import rules


@dataclass(frozen=True)
class ApplyOptions:
    """How to apply. A display setting never lives here: it never changes what apply does."""

    concurrency: int = 4
    force: bool = False
    retrain: bool = True
    retrain_deadline_seconds: float = 600.0
    poll_seconds: float = 0.5
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def pending_changes(plan: plans.Plan) -> tuple[plans.Change, ...]:
    """The changes apply writes, in plan order (no-ops are not sent)."""
    return tuple(c for c in plan.changes if c.action is not plans.Action.NOOP)


def missing_secrets(plan: plans.Plan, env: Mapping[str, str]) -> list[str]:
    """``"<address> needs $NAME"`` for every change whose secret is not in ``env``."""
    return [
        f"{change.address} needs ${change.secret_env}"
        for change in pending_changes(plan)
        if change.action is not plans.Action.DELETE and change.secret_env
        and not env.get(change.secret_env)
    ]


def resolve_secrets(plan: plans.Plan, env: Mapping[str, str]) -> dict[str, str]:
    """address -> secret value for every change that writes a secret; all or nothing."""
    for change in pending_changes(plan):
        if change.action is plans.Action.DELETE or not change.secret_env:
            continue
        reserved = rules.reserved_secret_env(change.secret_env)
        if reserved is not None:
            raise errors.ConfigError(
                f"{change.address}: refusing to send ${change.secret_env} as its secret: "
                f"{reserved}",
                hint="nothing was written; give the integration its own variable",
            )
    missing = missing_secrets(plan, env)
    if missing:
        raise errors.ConfigError(
            "secrets missing from the environment: " + "; ".join(missing),
            hint="export them and run apply again; nothing was written",
        )
    return {
        change.address: env[change.secret_env]
        for change in pending_changes(plan)
        if change.action is not plans.Action.DELETE and change.secret_env
    }


async def apply_plan(
    backend: base.Backend,
    plan: plans.Plan,
    *,
    options: ApplyOptions | None = None,
    on_event: progress.Listener = progress.ignore,
) -> applyresults.ApplyResult:
    """Write every change of ``plan`` and retrain the bots whose slots changed."""
    opts = options or ApplyOptions()
    secrets = resolve_secrets(plan, opts.env)
    changes = pending_changes(plan)
    markers = retrainmarking.Markers(backend, plan)
    await markers.mark(c.bot_id for c in changes if c.kind == "Slot")
    runner = _Runner(backend, changes, secrets, opts, on_event, markers)
    upserts = [c for c in changes if c.action is not plans.Action.DELETE]
    await asyncio.gather(*(runner.run(c) for c in upserts))
    for change in changes:
        if change.action is plans.Action.DELETE:
            await runner.run(change)
    results = tuple(runner.results[c.address] for c in changes)
    retrains: tuple[applyresults.RetrainOutcome, ...] = ()
    bots = bots_to_retrain(plan, results)
    if opts.retrain and bots and runner.halted is None:
        for bot in bots:
            if not runner.record(progress.WriteStarting(bot, "retrain")):
                return applyresults.ApplyResult(changes=results, halted=runner.halted)
    if opts.retrain and bots and runner.halted is None:
        retrains = await retraining.retrain_bots(
            backend,
            bots,
            jobs={p.bot_id: p.job_id for p in plan.pending_retrain
                  if p.job_id and p.bot_id not in markers.marked},
            deadline_seconds=opts.retrain_deadline_seconds,
            poll_seconds=opts.poll_seconds,
            clock=opts.clock,
            sleep=opts.sleep,
            on_event=on_event,
        )
    if runner.halted is not None:
        return applyresults.ApplyResult(changes=results, halted=runner.halted)
    await markers.settle(retrains, runner.results, plan)
    return applyresults.ApplyResult(changes=results, retrains=retrains)


def bots_to_retrain(
    plan: plans.Plan, results: Sequence[applyresults.ChangeOutcome]
) -> list[str]:
    """Bots of ``plan.retrain`` with at least one slot actually written, or with a retraining
    an interrupted apply left pending, in plan order."""
    written = {
        r.address for r in results if r.outcome is applyresults.Outcome.APPLIED
    }
    touched = {
        c.bot_id for c in plan.changes if c.kind == "Slot" and c.address in written
    }
    touched |= plan.pending_bots()
    return [bot for bot in plan.retrain if bot in touched]


class _Runner:
    """Runs changes once each, respecting dependencies, concurrency and a fatal stop.

    Invariant: a change waits only for changes placed before it in the plan that run in
    the same phase or an earlier one, so waiting can never deadlock.
    """

    def __init__(
        self,
        backend: base.Backend,
        changes: Sequence[plans.Change],
        secrets: Mapping[str, str],
        options: ApplyOptions,
        on_event: progress.Listener,
        markers: retrainmarking.Markers,
    ) -> None:
        self._backend = backend
        self._markers = markers
        self._secrets = secrets
        self._options = options
        self._on_event = on_event
        self._limit = asyncio.Semaphore(max(1, options.concurrency))
        self._position = {c.address: i for i, c in enumerate(changes)}
        self._deleting = {c.address for c in changes if c.action is plans.Action.DELETE}
        self._finished = {c.address: asyncio.Event() for c in changes}
        self._stopped: str | None = markers.stopped
        self.halted: str | None = None
        self.results: dict[str, applyresults.ChangeOutcome] = {}

    def record(self, event: progress.Event) -> bool:
        """Deliver ``event``; False, and the run halts, when it could not be recorded."""
        try:
            self._on_event(event)
        except errors.AuditError as exc:
            if self.halted is None:
                self.halted = f"the audit log failed: {exc.message}"
                self._stopped = self.halted
            return False
        return True

    async def run(self, change: plans.Change) -> None:
        try:
            result = await self._attempt(change)
            self.results[change.address] = result
        finally:
            self._finished[change.address].set()
        self.record(result)

    async def _attempt(self, change: plans.Change) -> applyresults.ChangeOutcome:
        blocked = await self._blocked_by(change)
        if blocked:
            return self._not_attempted(change, f"{blocked} was not applied")
        refused = self._markers.refused.get(change.bot_id) if change.kind == "Slot" else None
        if refused:
            return self._not_attempted(change, refused)
        async with self._limit:
            if self._stopped:
                return self._not_attempted(change, f"apply stopped: {self._stopped}")
            change = self._markers.adjusted(change)
            if not self.record(progress.WriteStarting(change.address, change.action.value)):
                return self._not_attempted(change, f"apply stopped: {self._stopped}")
            try:
                result = await writing.execute(
                    self._backend,
                    change,
                    secret=self._secrets.get(change.address),
                    force=self._options.force,
                )
            except writing.FATAL as exc:
                self._stopped = str(exc)
                return applyresults.ChangeOutcome(
                    change.address, change.action.value, applyresults.Outcome.FAILED, str(exc)
                )
            self._markers.saw(change, result)
            return result

    async def _blocked_by(self, change: plans.Change) -> str | None:
        """The first dependency of this run that did not go through, if any."""
        mine = self._position[change.address]
        for dep in change.depends_on:
            if not self._waitable(dep, mine, change.address in self._deleting):
                continue
            await self._finished[dep].wait()
            if self.results[dep].outcome not in applyresults.DONE:
                return dep
        return None

    def _waitable(self, dep: str, mine: int, deleting: bool) -> bool:
        position = self._position.get(dep)
        if position is None or position >= mine:
            return False  # a no-op (nothing to wait for) or misordered (never wait backwards)
        return deleting or dep not in self._deleting

    @staticmethod
    def _not_attempted(change: plans.Change, why: str) -> applyresults.ChangeOutcome:
        return applyresults.ChangeOutcome(
            change.address, change.action.value, applyresults.Outcome.NOT_ATTEMPTED, why
        )
