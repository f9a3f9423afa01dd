"""Apply a plan, fresh or saved: the call behind ``cogctl apply``.

``prepare`` makes every local check before anything connects (flags that contradict, a saved
plan that cannot be read or was made without ``--prune``, the project itself). ``apply_plan``
then, in order: opens the target with exactly the scopes the plan needs; makes the plan, or
holds the saved one to every claim it makes (``engine.planmaking.verify_saved``); shows it;
stops there when nothing changes; refuses while a secret it writes is missing from the
environment; asks for approval; and releases it (``engine.releasing``), each write's intent
durable in the audit log before the write is sent. What happened is recorded (audit log,
webhooks, ``--metrics-file``) and returned.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from reconciler import errors
from reconciler.backend import targeting
from reconciler.core import livestate, plans
from reconciler.engine import applying, planmaking, progress, releasing
from reconciler.manifests import validating
from reconciler.pipeline import projects, running
from reconciler.pipeline.settings import Settings

_WRITABLE_KINDS = frozenset({"Integration", "Slot", "ContextDefaults"})

Watch = Callable[[plans.Plan], AbstractContextManager[progress.Listener]]
"""What shows a release's progress: entered once the plan is approved, with the plan."""


def _unwatched(plan: plans.Plan) -> AbstractContextManager[progress.Listener]:
    return contextlib.nullcontext(progress.ignore)


@dataclass(frozen=True)
class ApplyRequest:
    """A checked apply: the project, the saved plan (None: plan afresh) and the options."""

    project: validating.Project
    saved: plans.Plan | None = None
    prune: bool = False
    targets: tuple[str, ...] = ()
    apply: applying.ApplyOptions = field(default_factory=applying.ApplyOptions)
    verify: releasing.VerifyOptions = field(default_factory=releasing.VerifyOptions)


@dataclass(frozen=True)
class Applied:
    """The plan executed (or found to change nothing: ``release`` None) and what it did."""

    plan: plans.Plan
    release: releasing.Release | None
    environment: str | None


def prepare(
    settings: Settings,
    *,
    plan_file: Path | None = None,
    prune: bool = False,
    targets: Sequence[str] = (),
    concurrency: int = 4,
    force: bool = False,
    verify: bool = True,
    rollback: bool = False,
) -> ApplyRequest:
    """Every check that needs no tenant, bad input first; raises ``ConfigError``."""
    if concurrency < 1:
        raise errors.ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    planmaking.refuse_plan_paths(settings.paths)
    saved = planmaking.read_saved_file(plan_file) if plan_file is not None else None
    if saved is not None and prune and not saved.prune:
        raise errors.ConfigError("--prune does not change a saved plan, which was made without it",
                                 hint="plan --prune --out FILE, review it, and apply that")
    project = projects.load_project(settings, prune=prune and saved is None)
    if targets and saved is not None:
        raise errors.ConfigError("--target applies to a fresh plan, not to --plan FILE",
                                 hint="plan with --target --out FILE, then apply --plan FILE")
    return ApplyRequest(
        project=project, saved=saved, prune=prune, targets=tuple(targets),
        apply=applying.ApplyOptions(concurrency=concurrency, force=force),
        verify=releasing.VerifyOptions(enabled=verify, rollback=rollback),
    )


def apply_scopes(request: ApplyRequest) -> frozenset[str]:
    """What this apply may write: the saved plan's kinds, else the manifests' kinds (and,
    with --prune, any kind, since objects that left the manifests may be deleted)."""
    saved = request.saved
    if saved is not None:
        kinds = {c.kind for c in saved.pending()}
    else:
        kinds = {type(m).__name__ for m in planmaking.desired(request.project)}
        if request.prune:
            kinds |= _WRITABLE_KINDS
    if "Slot" in kinds or (saved is not None and saved.retrain):
        # A retraining is recorded in the bot's context defaults first (retrainmarks).
        kinds |= {"Slot", "ContextDefaults"}
    return targeting.scopes_for_apply(
        kinds, retrain="Slot" in kinds,
        simulate=request.verify.enabled and bool(projects.suites(request.project)),
    )


async def apply_plan(
    run: running.Run,
    request: ApplyRequest,
    *,
    show: Callable[[plans.Plan], None] = lambda plan: None,
    approve: Callable[[plans.Plan], None] | None = None,
    watch: Watch = _unwatched,
) -> Applied:
    """Plan (or check the saved plan), ``show`` it, ``approve`` it (None: approved already,
    ``--auto-approve``; raise to cancel), release it under ``watch``; record the outcome."""
    project = request.project
    async with run.target(project, apply_scopes(request)) as target:
        plan, live = await _plan_for(target, request)
        show(plan)
        if not plan.summary().has_changes:  # a pending retraining is a change
            return Applied(plan, None, run.environment)
        _refuse_missing_secrets(plan)
        if approve is not None:
            approve(plan)
        run.audit("apply.started", **running.plan_fields(plan))
        started = time.monotonic()
        with watch(plan) as display:
            done = await releasing.release(
                target.backend, plan, live, suites=projects.suites(project),
                apply_options=request.apply, verify=request.verify,
                on_event=_recorder(run, display),
            )
    _observe(run, done, time.monotonic() - started)
    summary = {"summary": done.result.counts(), "verified": done.verified,
               "rolledBack": done.rollback is not None}
    if done.result.halted is None:  # a halted apply's log is what failed: nothing to add
        run.audit("apply.completed", **summary)
    await run.notify("apply.completed", {**running.plan_fields(plan), **summary})
    if done.rounds:
        await run.notify("verify.completed", {"rounds": [r.to_json() for r in done.rounds]})
    return Applied(plan, done, run.environment)


async def _plan_for(
    target: targeting.Target, request: ApplyRequest
) -> tuple[plans.Plan, livestate.LiveState]:
    """A fresh plan, or the saved one after holding it to every claim it makes."""
    if request.saved is None:
        return await planmaking.make_plan(target.backend, request.project,
                                          target=target.description, prune=request.prune,
                                          targets=request.targets)
    return await planmaking.verify_saved(target.backend, request.project, request.saved,
                                         target=target.description)


def _refuse_missing_secrets(plan: plans.Plan) -> None:
    """Every missing secret is an error, before anyone is asked to approve."""
    missing = applying.missing_secrets(plan, os.environ)
    if missing:
        raise errors.ConfigError(
            "secrets missing from the environment: " + "; ".join(missing),
            hint="export them and run apply again; nothing was written",
        )


def _recorder(run: running.Run, display: progress.Listener) -> progress.Listener:
    """Show every event, and put every write and verdict into the audit log."""

    def listen(event: progress.Event) -> None:
        display(event)
        if isinstance(event, progress.WriteStarting):
            # Durable (fsync) before the write is sent; a failure stops the apply.
            run.audit("apply.write.intent", address=event.address, action=event.action)
        elif isinstance(event, progress.ChangeOutcome):
            run.note_done(event.address, event.outcome)
            run.audit("apply.write", address=event.address, action=event.action,
                      outcome=event.outcome, message=event.message, version=event.version)
        elif isinstance(event, progress.Verdict):
            run.audit("verify.verdict", subject=event.subject, passed=event.passed,
                      detail=event.detail)
        elif isinstance(event, progress.RetrainUpdate) and event.status in ("succeeded", "failed"):
            run.audit("apply.retrain", bot=event.bot_id, job=event.job_id, status=event.status)

    return listen


def _observe(run: running.Run, done: releasing.Release, seconds: float) -> None:
    """Command figures for --metrics-file, beside the HTTP metrics."""
    run.metrics.observe("cogctl_apply_duration_seconds", seconds)
    for outcome, count in done.result.counts().items():
        run.metrics.observe("cogctl_apply_changes", count, outcome=outcome.replace(" ", "_"))
    for retrain in done.result.retrains:
        run.metrics.observe("cogctl_retrain_seconds", retrain.seconds, bot=retrain.bot_id)
