"""``cogctl plan``: diff the manifests against live state and show what apply would do."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.cli import _options, _run
from reconciler.core import plans
from reconciler.pipeline import exitcodes, planning, projects
from reconciler.rendering import outputs


def color_wanted() -> bool:
    """ANSI colour on a terminal; never with NO_COLOR or --no-color (no-color.org); always
    with FORCE_COLOR (force-color.org: any value but empty or 0), e.g. in CI logs."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return sys.stdout.isatty()


def render(plan: plans.Plan, output: str, *, environment: str | None) -> str:
    """The plan in ``output`` format, coloured as ``color_wanted`` says."""
    return outputs.render_plan(plan, output, environment=environment, color=color_wanted())


@click.command()
@_options.project_options
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also save the plan to FILE (the --output json document plus what "
              "apply needs), for apply --plan FILE and show FILE.")
@_options.output_option()
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when there are none.")
@click.option("--prune", is_flag=True,
              help="Plan deletes of objects labelled managed-by: cogctl that left the manifests.")
@_options.target_option
def plan(
    settings: _options.Settings,
    out: Path | None,
    output: str,
    detailed_exitcode: bool,
    prune: bool,
    targets: tuple[str, ...],
) -> None:
    """Show what apply would change, without changing anything (read scope only).

    Exit codes: 0 success (with --detailed-exitcode: 0 no changes, 2 changes); 1 error.
    """
    project = projects.load_project(settings, prune=prune)
    run = _run.start(settings, "plan")
    planned = _run.execute(run, planning.plan_project(run, project, prune=prune,
                                                      targets=targets, out=out))
    if out is not None:
        click.echo(f"saved plan: {out}", err=True)
    # click strips ANSI codes off a non-terminal unless told: FORCE_COLOR tells it.
    click.echo(render(planned.plan, output, environment=planned.environment),
               color=color_wanted() or None)
    if detailed_exitcode and planned.plan.summary().has_changes:
        raise click.exceptions.Exit(exitcodes.CHANGES)
