"""``cogctl validate``: schema and rule checks of manifests and cogctl.yaml; no API call."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import jsontypes
from reconciler.cli import _common
from reconciler.manifests import validating
from reconciler.pipeline import exitcodes
from reconciler.rendering import results


@click.command(epilog="Exit codes: 0 valid, 1 invalid (every problem is listed as "
                      "file:line:col: Kind/bot/name: message).")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "output", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: one line per problem; json: a list of "
              "{file, line, column, address, message}.")
@click.option("--env", "env", metavar="NAME", default=None,
              help="Environment of cogctl.yaml (default: $COGCTL_ENV, defaultEnvironment, "
                   "local, or the only one).")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              metavar="FILE", help="Project file (default: cogctl.yaml beside the manifests "
                                   "or in a parent folder).")
@click.option("--verbose", "-v", is_flag=True,
              help="Also list the YAML files that were ignored (not manifests).")
def validate(paths: tuple[Path, ...], output: str, env: str | None,
             config: Path | None, verbose: bool) -> int:
    """Check manifests (default: manifests/) against the schemas and every rule.

    Runs every slot's examples too (as cogctl test does). Makes no API call. Reports every
    problem of every file, not only the first.
    """
    project = validating.load_project(list(paths), env=env, config=config, run_examples=True)
    if verbose and output == "text":
        for ignored in project.ignored:
            click.echo(f"ignored: {ignored} (YAML, but no document looks like a manifest)")
    if output == "json":
        click.echo(jsontypes.dumps([d.to_json() for d in project.diagnostics], indent=2,
                                   ensure_ascii=True))
    else:
        for diagnostic in project.diagnostics:
            click.echo(diagnostic.render())
    if not project.ok:
        _common.annotate(project.diagnostics)
        _common.note_errors([d.render() for d in project.diagnostics])
        if output == "text":
            click.echo(results.problems_line(project.diagnostics), err=True)
        return exitcodes.ERROR
    if output == "text":
        click.echo(results.valid_summary(project))
    return exitcodes.OK
