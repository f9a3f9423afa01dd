"""``cogctl drift``: a plan for scheduled runs that says whether live state left the manifests."""

from __future__ import annotations

import click

from reconciler.cli import _options, _run
from reconciler.cli import plan as plan_cmd
from reconciler.pipeline import exitcodes, planning, projects
from reconciler.rendering import outputs


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
    click.echo(outputs.drift_line(checked.plan), err=True)
    click.echo(plan_cmd.render(checked.plan, output, environment=checked.environment))
    if checked.drifted:
        raise click.exceptions.Exit(exitcodes.CHANGES)
