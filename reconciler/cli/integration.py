"""``cogctl integration probe``: call an integration's external API as its manifest says."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import _options, _run
from reconciler.pipeline import exitcodes, operations, opreports, projects
from reconciler.rendering import tables


@click.group()
def integration() -> None:
    """Work with the integrations of the manifests."""


@integration.command("probe")
@click.argument("name")
@_options.settings_options("paths", "env", "config", "audit_log")
@click.option("--bot", default=None, metavar="BOT", help="The bot, when several have NAME.")
@click.option("--payload", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Sample payload (a JSON object); default: spec.probe.payload.")
@click.option("--allow-private", is_flag=True,
              help="Allow loopback, private and link-local targets (a local test service).")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Trust exactly these CA certificates (PEM) for TLS.")
@_options.output_option("text", "json")
def probe(
    settings: _options.Settings,
    name: str,
    bot: str | None,
    payload: Path | None,
    allow_private: bool,
    ca_bundle: Path | None,
    output: str,
) -> None:
    """Call integration NAME as configured and check the mapped answer.

    Method, headers, auth (the secret from its environment variable), the request mapping
    applied to the sample payload, the timeout and the retry policy all follow the manifest.
    Hosts resolving to loopback, private, link-local or metadata addresses are refused unless
    --allow-private. Exit 0 when every check passes, 1 otherwise.
    """
    project = projects.load_project(settings)
    manifest = operations.find_integration(project, name, bot)
    run = _run.start(settings, "integration probe")
    result = _run.run_async(operations.probe_integration(
        run, manifest, payload=operations.read_payload(payload), allow_private=allow_private,
        ca_bundle=ca_bundle,
    ))
    click.echo(tables.dumps(result.to_json()) if output == "json"
               else opreports.probe_text(result))
    if not result.ok:
        raise click.exceptions.Exit(exitcodes.ERROR)
