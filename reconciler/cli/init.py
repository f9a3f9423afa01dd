"""``cogctl init [DIR] [--api platform|cognigy-ai]``: scaffold an adopter's project."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.ops import scaffolding


@click.command("init")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--api", "api", type=click.Choice(scaffolding.APIS), default="platform",
              show_default=True, help="Which Cognigy API the environments talk to.")
@click.option("--workflow-repo", "workflow_repo", metavar="OWNER/NAME",
              default=scaffolding.DEFAULT_WORKFLOW_REPO, show_default=True,
              help="Repository whose reusable workflow and hooks the generated files use.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, api: str, workflow_repo: str, force: bool) -> None:
    """Write a working project into DIR (default: here): cogctl.yaml, an example manifest per
    kind, an emulator fixture, the JSON Schemas, .pre-commit-config.yaml and the GitHub
    workflows (plan on pull requests, apply on merge, daily drift). --api sets what
    cogctl.yaml and the fixture are for (the Platform API, or Cognigy.AI's v2.0 API: a project,
    flow and locale per bot, the key from COGNIGY_API_KEY); the manifests are the same.

    Exit codes: 0 written; 1 error (nothing written, e.g. a file exists: --force).
    """
    files = scaffolding.build(scaffolding.InitOptions(api=api, workflow_repo=workflow_repo))
    written = scaffolding.write(directory, files, force=force)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {directory} && cogctl validate && cogctl plan", err=True)
