"""``cogctl integration probe``: call an integration's external API as its manifest says."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import _common, _ops, _options, _run
from reconciler.ops import probing
from reconciler.pipeline import operations, projects


@click.group()
def integration() -> None:
    """Work with the integrations of the manifests."""


def render_text(result: probing.ProbeResult) -> str:
    tries = "attempt" if result.attempts == 1 else "attempts"
    lines = [
        f"probe {result.address}: {result.method} {result.url}",
        f"  connected to {result.connected_to}: status {result.status} in "
        f"{result.seconds * 1000:.1f} ms ({result.attempts} {tries})",
    ]
    lines += [f"  {'ok' if c.ok else 'FAIL':<4} {c.name:<6} {c.detail}" for c in result.checks]
    lines.append("result:")
    lines += ["  " + line for line in _ops.dumps(result.result).splitlines()]
    lines.append("PASSED" if result.ok else "FAILED")
    return "\n".join(lines)


@integration.command("probe")
@click.argument("name")
@_options.paths_argument
@_options.env_option
@_options.config_option
@_options.audit_log_option
@click.option("--bot", default=None, metavar="BOT", help="The bot, when several have NAME.")
@click.option("--payload", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Sample payload (a JSON object); default: spec.probe.payload.")
@click.option("--allow-private", is_flag=True,
              help="Allow loopback, private and link-local targets (a local test service).")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Trust exactly these CA certificates (PEM) for TLS.")
@_options.output_option("text", "json")
def probe(
    name: str,
    paths: tuple[Path, ...],
    env: str | None,
    config: Path | None,
    audit_log: Path | None,
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
    settings = _options.Settings(paths=paths or _options.DEFAULT_PATHS, env=env, config=config,
                                 audit_log=audit_log)
    project = projects.load_project(settings)
    manifest = operations.find_integration(project, name, bot)
    run = _run.start(settings, "integration probe")
    result = _run.run_async(operations.probe_integration(
        run, manifest, payload=operations.read_payload(payload), allow_private=allow_private,
        ca_bundle=ca_bundle,
    ))
    click.echo(_ops.dumps(result.to_json()) if output == "json" else render_text(result))
    if not result.ok:
        raise click.exceptions.Exit(_common.EXIT_ERROR)
