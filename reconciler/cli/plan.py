"""``cogctl plan``: diff the manifests against live state and show what apply would do."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from reconciler import fileio
from reconciler.backend import targeting
from reconciler.cli import _common, _options, _run
from reconciler.core import plandocuments, plans
from reconciler.rendering import jsonout, markdown, text


def color_wanted() -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def render(plan: plans.Plan, output: str, *, environment: str | None) -> str:
    """The plan in ``output`` format, without a trailing newline (``click.echo`` adds one)."""
    if output == "json":
        return json.dumps(jsonout.plan_document(plan), indent=2, ensure_ascii=False)
    if output == "markdown":
        rendered = markdown.render_plan(plan, environment=environment or "default")
    else:
        rendered = text.render_plan(plan, color=color_wanted())
    return rendered.rstrip("\n")


def write_saved_plan(plan: plans.Plan, path: Path) -> None:
    """Write the saved plan atomically: a reader sees the old file or the whole new one.

    It is the document ``--output json`` prints, plus what apply needs to verify it."""
    data = json.dumps(plandocuments.saved_document(plan), indent=2, ensure_ascii=False) + "\n"
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
def plan(
    settings: _options.Settings,
    out: Path | None,
    output: str,
    detailed_exitcode: bool,
    prune: bool,
) -> None:
    """Show what apply would change, without changing anything (read scope only).

    Exit codes: 0 success (with --detailed-exitcode: 0 no changes, 2 changes); 1 error.
    """
    project = _run.load_project(settings)
    run = _run.Run(settings, "plan")

    async def body() -> plans.Plan:
        async with run.target(project, targeting.SCOPES_READ) as target:
            made, _live = await _run.make_plan(target, project, prune=prune)
        fields: dict[str, Any] = _run.plan_fields(made)
        run.audit("plan.created", **fields)
        await run.notify("plan.created", fields)
        return made

    made = run.execute(body())
    if out is not None:
        write_saved_plan(made, out)
        click.echo(f"saved plan: {out}", err=True)
    click.echo(render(made, output, environment=run.environment))
    if detailed_exitcode and made.summary().has_changes:
        raise click.exceptions.Exit(_common.EXIT_CHANGES)
