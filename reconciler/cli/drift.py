"""``cogctl drift``: a plan for scheduled runs that says whether live state left the manifests."""

from __future__ import annotations

import click

from reconciler.cli import _common, _options, _run
from reconciler.cli import plan as plan_cmd
from reconciler.core import plans
from reconciler.pipeline import planning, projects
from reconciler.rendering import _lines


def describe(plan: plans.Plan) -> str:
    """One line: how many objects differ, how many were edited outside cogctl, and which bots
    an interrupted apply left waiting for a retraining."""
    pending = plan.pending()
    outside = [c.address for c in pending if c.drift]
    if pending:
        line = f"drift: {len(pending)} object(s) differ from the manifests"
    elif plan.pending_retrain:
        line = "drift: live objects match the manifests"
    else:
        line = "drift: none, live state matches the manifests"
    if outside:
        line += f"; changed outside cogctl: {', '.join(outside)}"
    if plan.pending_retrain:
        labels = _lines.bot_labels(plan)
        bots = ", ".join(labels.get(p.bot_id, p.bot_id) for p in plan.pending_retrain)
        line += (f"; retraining pending from an interrupted apply (apply finishes it): {bots}")
    if plan.orphaned:
        # Not drift: the manifests dropped them and only --prune deletes; worth knowing.
        line += (f"; {len(plan.orphaned)} managed object(s) left the manifests "
                 f"(apply --prune deletes them): {', '.join(plan.orphaned)}")
    return line


@click.command()
@_options.project_options
@_options.output_option()
@click.option("--prune", is_flag=True,
              help="Count objects labelled managed-by: cogctl that left the manifests as drift.")
def drift(settings: _options.Settings, output: str, prune: bool) -> None:
    """Compare live state with the manifests for scheduled runs (read scope only).

    Every difference counts, and so does a retraining an interrupted apply left pending;
    changes marked drift were made outside cogctl since it last applied them. Exit codes:
    0 no drift, 2 drift found, 1 error.
    """
    project = projects.load_project(settings)
    run = _run.start(settings, "drift")
    checked = _run.execute(run, planning.check_drift(run, project, prune=prune))
    click.echo(describe(checked.plan), err=True)
    click.echo(plan_cmd.render(checked.plan, output, environment=checked.environment))
    if checked.drifted:
        raise click.exceptions.Exit(_common.EXIT_CHANGES)
