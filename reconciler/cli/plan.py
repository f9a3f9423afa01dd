"""``cogctl plan``: diff the manifests against live state and show what apply would do."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import fileio, jsontypes
from reconciler.backend import targeting
from reconciler.cli import _common, _options, _run
from reconciler.core import plandocuments, plans
from reconciler.rendering import jsonout, markdown, text


def color_wanted() -> bool:
    """ANSI colour on a terminal; never with NO_COLOR or --no-color (no-color.org); always
    with FORCE_COLOR (force-color.org: any value but empty or 0), e.g. in CI logs."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    return sys.stdout.isatty()


def render(plan: plans.Plan, output: str, *, environment: str | None) -> str:
    """The plan in ``output`` format, without a trailing newline (``click.echo`` adds one)."""
    if output == "json":
        return jsontypes.dumps(jsonout.plan_document(plan), indent=2)
    if output == "markdown":
        rendered = markdown.render_plan(plan, environment=environment or "default")
    else:
        rendered = text.render_plan(plan, color=color_wanted())
    return rendered.rstrip("\n")


def write_saved_plan(plan: plans.Plan, path: Path) -> None:
    """Write the saved plan atomically: a reader sees the old file or the whole new one.

    It is the document ``--output json`` prints, plus what apply needs to verify it."""
    data = jsontypes.dumps(plandocuments.saved_document(plan), indent=2) + "\n"
    fileio.write_atomic(path, data)


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
    project = _run.load_project(settings)
    if prune:
        _run.check_prune(project, settings)
    run = _run.Run(settings, "plan")

    async def body() -> plans.Plan:
        async with run.target(project, targeting.SCOPES_READ) as target:
            made, _live = await _run.make_plan(target, project, prune=prune, targets=targets)
        fields: dict[str, Any] = _run.plan_fields(made)
        run.audit("plan.created", **fields)
        await run.notify("plan.created", fields)
        return made

    made = run.execute(body())
    for warning in _run.missing_secret_warnings(project):
        click.echo(warning, err=True)
    if out is not None:
        write_saved_plan(made, out)
        click.echo(f"saved plan: {out}", err=True)
    # click strips ANSI codes off a non-terminal unless told: FORCE_COLOR tells it.
    click.echo(render(made, output, environment=run.environment), color=color_wanted() or None)
    if detailed_exitcode and made.summary().has_changes:
        raise click.exceptions.Exit(_common.EXIT_CHANGES)
