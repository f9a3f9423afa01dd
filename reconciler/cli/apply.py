"""``cogctl apply``: execute a plan (fresh or saved), retrain, verify, optionally roll back."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from reconciler import errors, jsontypes
from reconciler.backend import targeting
from reconciler.cli import _common, _options, _progress, _prompting, _reports, _run
from reconciler.cli import plan as plan_cmd
from reconciler.core import livestate, plans
from reconciler.engine import applying, planmaking, progress, releasing
from reconciler.manifests import validating
from reconciler.rendering import _lines, jsonout

_WRITABLE_KINDS = frozenset({"Integration", "Slot", "ContextDefaults"})


def _scopes(
    project: validating.Project, saved: plans.Plan | None, *, verify: bool, prune: bool
) -> frozenset[str]:
    """What this apply may write: the saved plan's kinds, else the manifests' kinds (and,
    with --prune, any kind, since objects that left the manifests may be deleted)."""
    if saved is not None:
        kinds = {c.kind for c in saved.pending()}
    else:
        kinds = {type(m).__name__ for m in planmaking.desired(project)}
        if prune:
            kinds |= _WRITABLE_KINDS
    if "Slot" in kinds or (saved is not None and saved.retrain):
        # A retraining is recorded in the bot's context defaults first (retrainmarks).
        kinds |= {"Slot", "ContextDefaults"}
    return targeting.scopes_for_apply(
        kinds, retrain="Slot" in kinds, simulate=verify and bool(_run.suites(project))
    )


async def _plan_for(
    target: targeting.Target,
    project: validating.Project,
    saved: plans.Plan | None,
    *,
    prune: bool,
    targets: tuple[str, ...] = (),
) -> tuple[plans.Plan, livestate.LiveState]:
    """A fresh plan, or the saved one after holding it to every claim it makes."""
    if saved is None:
        return await _run.make_plan(target, project, prune=prune, targets=targets)
    return await planmaking.verify_saved(
        target.backend, project, saved, target=target.description
    )


def _confirm(plan: plans.Plan, auto_approve: bool) -> None:
    """Every missing secret is an error before the question; then only 'yes' approves."""
    missing = applying.missing_secrets(plan, os.environ)
    if missing:
        raise errors.ConfigError(
            "secrets missing from the environment: " + "; ".join(missing),
            hint="export them and run apply again; nothing was written",
        )
    if not auto_approve:
        _prompting.confirm(plan.target)


def _recorder(run: _run.Run, display: _progress.Display) -> progress.Listener:
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


def _document(plan: plans.Plan, done: releasing.Release | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"plan": jsonout.plan_document(plan)}
    if done is not None:
        doc["apply"] = done.result.to_json()
        doc["verification"] = [r.to_json() for r in done.rounds]
        doc["rollback"] = done.rollback.to_json() if done.rollback else None
    return doc


def _exit_code(done: releasing.Release | None) -> int:
    if done is None:
        return _common.EXIT_OK
    if not done.result.writes_ok:
        return _common.EXIT_ERROR
    return _common.EXIT_OK if done.verified else _common.EXIT_VERIFY_FAILED


def _release_options(
    concurrency: int, force: bool, no_verify: bool, rollback: bool
) -> tuple[applying.ApplyOptions, releasing.VerifyOptions]:
    if concurrency < 1:
        raise errors.ConfigError(f"--concurrency must be at least 1, got {concurrency}")
    return (
        applying.ApplyOptions(concurrency=concurrency, force=force),
        releasing.VerifyOptions(enabled=not no_verify, rollback=rollback),
    )


@click.command()
@_options.project_options
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Apply this saved plan (refused when live state moved since).")
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--prune", is_flag=True,
              help="Delete objects labelled managed-by: cogctl that left the manifests.")
@click.option("--no-verify", is_flag=True, help="Skip extraction metrics and simulations.")
@click.option("--rollback-on-failure", "rollback", is_flag=True,
              help="When verification fails, restore the changed slots and verify again.")
@click.option("--force", is_flag=True,
              help="Write over objects changed outside cogctl since the plan (409 conflicts).")
@click.option("--concurrency", type=int, default=4, show_default=True,
              help="Changes written at once (dependants always wait for dependencies).")
@_options.target_option
@_options.output_option("text", "json")
def apply(
    settings: _options.Settings,
    plan_file: Path | None,
    auto_approve: bool,
    prune: bool,
    no_verify: bool,
    rollback: bool,
    force: bool,
    concurrency: int,
    targets: tuple[str, ...],
    output: str,
) -> None:
    """Execute the plan, retrain once per changed bot, and verify.

    Exit codes: 0 applied and verified; 1 error (nothing or only part applied: the output
    lists what was not done); 3 applied but verification failed.
    """
    apply_opts, verify_opts = _release_options(concurrency, force, no_verify, rollback)
    planmaking.refuse_plan_paths(settings.paths)
    saved = planmaking.read_saved_file(plan_file) if plan_file is not None else None
    if saved is not None and prune and not saved.prune:
        raise errors.ConfigError("--prune does not change a saved plan, which was made without it",
                                 hint="plan --prune --out FILE, review it, and apply that")
    project = _run.load_project(settings)
    if prune and plan_file is None:
        _run.check_prune(project, settings)
    if targets and plan_file is not None:
        raise errors.ConfigError("--target applies to a fresh plan, not to --plan FILE",
                                 hint="plan with --target --out FILE, then apply --plan FILE")
    # Bad input first (all local), then the terminal: before the target line, before any call.
    _prompting.require_terminal(auto_approve)
    request = _Request(
        saved=saved,
        auto_approve=auto_approve, prune=prune, output=output, targets=targets,
        apply=apply_opts, verify=verify_opts,
    )
    run = _run.Run(settings, "apply")
    plan, done = run.execute(_execute(run, project, request))
    _show(plan, done, output)
    code = _exit_code(done)
    if code:
        raise _common.fail(_failure_line(done), code=code)


@dataclass(frozen=True)
class _Request:
    saved: plans.Plan | None
    auto_approve: bool
    prune: bool
    output: str
    targets: tuple[str, ...]
    apply: applying.ApplyOptions
    verify: releasing.VerifyOptions


async def _execute(
    run: _run.Run, project: validating.Project, req: _Request
) -> tuple[plans.Plan, releasing.Release | None]:
    """Plan (or check the saved plan), confirm, release; record and announce the outcome."""
    scopes = _scopes(project, req.saved, verify=req.verify.enabled, prune=req.prune)
    async with run.target(project, scopes) as target:
        plan, live = await _plan_for(target, project, req.saved, prune=req.prune,
                                     targets=req.targets)
        # The plan goes to stdout with text output; with JSON output a person asked to
        # confirm still sees it, on stderr.
        if req.output == "text" or not req.auto_approve:
            shown = plan_cmd.render(plan, "text", environment=run.environment)
            click.echo(shown, err=req.output != "text", color=plan_cmd.color_wanted() or None)
        if not plan.summary().has_changes:  # a pending retraining is a change
            return plan, None
        _confirm(plan, req.auto_approve)
        run.audit("apply.started", **_run.plan_fields(plan))
        started = time.monotonic()
        with _progress.Display(names=_lines.bot_labels(plan)) as display:
            done = await releasing.release(
                target.backend, plan, live, suites=_run.suites(project),
                apply_options=req.apply, verify=req.verify, on_event=_recorder(run, display),
            )
    _observe(run, done, time.monotonic() - started)
    summary = {"summary": done.result.counts(), "verified": done.verified,
               "rolledBack": done.rollback is not None}
    if done.result.halted is None:  # a halted apply's log is what failed: nothing to add
        run.audit("apply.completed", **summary)
    await run.notify("apply.completed", {**_run.plan_fields(plan), **summary})
    if done.rounds:
        await run.notify("verify.completed", {"rounds": [r.to_json() for r in done.rounds]})
    return plan, done


def _show(plan: plans.Plan, done: releasing.Release | None, output: str) -> None:
    if output == "json":
        click.echo(jsontypes.dumps(_document(plan, done), indent=2))
    elif done is not None:
        names = _lines.bot_labels(plan)
        click.echo(_reports.apply_summary(done.result, names=names))
        for report in done.rounds:
            click.echo(_reports.verify_table(report, names=names))
        if done.rollback is not None:
            click.echo(_reports.apply_summary(done.rollback, what="Rollback", names=names))
        if done.coverage is not None:
            click.echo(f"Rollback: {_reports.rollback_line(done.coverage)}.")


def _failure_line(done: releasing.Release | None) -> str:
    """The one line on stderr that says why apply did not exit 0, and what to do."""
    if done is None:
        return "apply failed"
    if not done.result.writes_ok:
        missing = ", ".join(c.address for c in done.result.not_done()) or "retraining"
        why = f"{done.result.halted}; " if done.result.halted else ""
        return (f"apply incomplete: {why}not done: {missing} (fix the cause and run apply "
                "again)")
    failures = "; ".join(done.rounds[0].failures()) if done.rounds else "verification failed"
    if done.coverage is None:
        return f"applied, but verification failed: {failures}"
    return (f"applied, but verification failed: {failures}; "
            f"{_reports.rollback_line(done.coverage)}")


def _observe(run: _run.Run, done: releasing.Release, seconds: float) -> None:
    """Command figures for --metrics-file, beside the HTTP metrics."""
    run.metrics.observe("cogctl_apply_duration_seconds", seconds)
    for outcome, count in done.result.counts().items():
        run.metrics.observe("cogctl_apply_changes", count, outcome=outcome.replace(" ", "_"))
    for retrain in done.result.retrains:
        run.metrics.observe("cogctl_retrain_seconds", retrain.seconds, bot=retrain.bot_id)
