"""``cogctl integration probe``: call an integration's external API as its manifest says."""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler import fileio, jsontypes
from reconciler.cli import _common, _ops, _options, _run
from reconciler.core import livetypes as lt
from reconciler.manifests import models, validating
from reconciler.ops import probing


@click.group()
def integration() -> None:
    """Work with the integrations of the manifests."""


def find_integration(
    project: validating.Project, name: str, bot: str | None
) -> models.Integration:
    """The Integration called ``name`` (in ``bot``, when several bots have one)."""
    found = [
        loaded.manifest for loaded in project.manifests
        if isinstance(loaded.manifest, models.Integration)
        and name in (loaded.manifest.metadata.name, loaded.manifest.address)
        and (bot is None or loaded.manifest.metadata.bot == bot)
    ]
    if not found:
        known = sorted(
            loaded.manifest.address for loaded in project.manifests
            if isinstance(loaded.manifest, models.Integration)
        )
        raise _common.fail(f"no Integration named {name!r} in the manifests "
                           f"(known: {', '.join(known) or 'none'})")
    if len(found) > 1:
        raise _common.fail(f"several bots have an Integration named {name!r} "
                           f"({', '.join(m.address for m in found)}); pass --bot")
    return found[0]


def read_payload(path: Path | None) -> dict[str, lt.Json] | None:
    if path is None:
        return None
    try:
        data = jsontypes.loads(fileio.read_bounded(path, fileio.DEFAULT_READ_LIMIT))
    except (OSError, ValueError) as exc:
        raise _common.fail(f"--payload {path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise _common.fail(f"--payload {path}: expected a JSON object")
    return data


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
    project = _run.load_project(settings)
    manifest = find_integration(project, name, bot)
    run = _run.Run(settings, "integration probe")
    result = _run.run_async(probing.probe(
        manifest, payload=read_payload(payload), env=os.environ, allow_private=allow_private,
        ca_bundle=ca_bundle,
    ))
    run.audit("integration.probe", integration=result.address, status=result.status,
              ok=result.ok, latencyMs=round(result.seconds * 1000, 1))
    click.echo(_ops.dumps(result.to_json()) if output == "json" else render_text(result))
    if not result.ok:
        raise click.exceptions.Exit(_common.EXIT_ERROR)
