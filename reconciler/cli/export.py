"""``cogctl export --bot ID [--out DIR]``: write manifests from live state.

Read-only against the tenant (read scope only). One file per kind per bot under DIR
(``DIR/<bot>/integrations.yaml``, ``slots.yaml``, ``context.yaml``); existing files are left
alone unless ``--force``, which keeps the slot examples and verify thresholds those files
already hold. What it writes validates and plans to zero changes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from reconciler import errors, statedir
from reconciler.backend import targeting
from reconciler.cli import _options
from reconciler.engine import fetching
from reconciler.manifests import loading, models, validating
from reconciler.ops import exporting
from reconciler.records import metrics

DEFAULT_OUT = Path("exported")


@click.command("export")
@click.option("--bot", "bot", metavar="ID", required=True,
              help="The bot to export: a botId, or a logical name mapped in cogctl.yaml.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_OUT, show_default=True, help="Directory to write the manifests to.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@_options.env_option
@_options.config_option
@_options.emulator_fixture_option
@_options.metrics_file_option
def export(bot: str, out: Path, force: bool, env: str | None, config: Path | None,
           emulator_fixture: Path | None, metrics_file: Path | None) -> None:
    """Write manifests (apiVersion cogctl/v1) from a bot's live integrations, slots and
    context defaults.

    Integration secrets are never read (the API never returns them): each becomes a
    `secret: {fromEnv: <BOT>_<NAME>_SECRET}` placeholder. Labels lose the reconciler's own
    (managed-by, cogctl/applied-hash). Objects that cannot be valid manifests are left out
    with a warning.

    Exit codes: 0 written; 1 error (nothing written).
    """
    config_path = config or validating.find_config([out, Path("manifests"), Path(".")])
    project_config = _load_config(config_path)
    environment, settings = targeting.choose_environment(project_config, env)
    bot_id, logical = _resolve_bot(bot, settings)
    recorder = metrics.MetricsRecorder()

    async def read() -> exporting.ExportResult:
        async with targeting.connect(
            config=project_config, config_path=config_path, environment=environment,
            scopes=targeting.SCOPES_READ, emulator_fixture=emulator_fixture,
            state_dir=statedir.state_dir(project_file=config_path),
            observers=[recorder],
        ) as target:
            click.echo(f"target: {target.description}", err=True)
            try:
                await target.backend.get_bot(bot_id)
            except errors.NotFoundError:
                raise errors.CogctlError(
                    f"no bot {bot_id!r} in {target.description}",
                    hint="check --bot and the bots mapping of cogctl.yaml",
                ) from None
            live = await fetching.fetch_live_state(target.backend, [bot_id])
            return exporting.export_bot(
                live, bot_id, logical, kept=exporting.kept_slot_parts(out, logical),
                schema=exporting.schema_reference(
                    out, config_path.parent if config_path else Path("."), logical),
                refused=await exporting.refusals(target.backend, bot_id),
            )

    try:
        result = asyncio.run(read())
    finally:
        if metrics_file is not None:
            recorder.write(metrics_file)
    for line in result.skipped:
        click.echo(f"warning: {line}", err=True)
    if not result.files:
        click.echo(f"nothing to export: bot {bot_id} has no integrations, slots or context")
        return
    for path in exporting.write_export(out, result.files, force=force):
        relative = path.relative_to(out).as_posix()
        click.echo(f"wrote {path} ({_documents(result.counts.get(relative, 0))})")
    for name in result.secret_envs:
        click.echo(f"note: set {name} to the stored secret before apply; until it is set, "
                   "plans cannot compare that secret and show it unchanged")


def _documents(count: int) -> str:
    return "1 document" if count == 1 else f"{count} documents"


def _load_config(path: Path | None) -> models.ProjectConfig | None:
    if path is None:
        return None
    loaded, diagnostics = loading.load_config(path)
    if diagnostics or loaded is None:
        raise errors.ManifestError(
            diagnostics[0].render() if diagnostics else f"{path}: cannot load",
            diagnostics=diagnostics,
        )
    return loaded.config


def _resolve_bot(given: str, settings: models.Environment | None) -> tuple[str, str]:
    """(botId, logical name): a mapped logical name, a mapped botId, or a bare botId."""
    mapping = settings.platform_bots() if settings else {}
    if given in mapping:
        return mapping[given], given
    logical = next((name for name, bot_id in mapping.items() if bot_id == given), given)
    if not _bot_name_ok(logical):
        raise errors.ConfigError(
            f"bot {given!r} cannot be a manifest's metadata.bot",
            hint="map it to a logical name in cogctl.yaml (environments.<env>.bots)",
        )
    return given, logical


def _bot_name_ok(name: str) -> bool:
    try:
        models.Metadata(name="x", bot=name)
    except ValueError:
        return False
    return True
