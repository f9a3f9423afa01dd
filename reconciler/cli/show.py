"""``cogctl show PLANFILE``: a saved plan as text, JSON or Markdown, without a tenant."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import _options
from reconciler.cli import plan as plan_cmd
from reconciler.engine import planmaking


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path))
@_options.output_option()
@click.option("--environment", default=None,
              help="Environment named in the Markdown heading (default: default).")
def show(plan_file: Path, output: str, environment: str | None) -> None:
    """Render a saved plan (plan --out FILE) as it was shown when it was made.

    --output json prints the same document plan --output json printed. No API call.
    Exit codes: 0 shown; 1 not a readable saved plan.
    """
    saved = planmaking.read_saved_file(plan_file)
    click.echo(plan_cmd.render(saved, output, environment=environment))
