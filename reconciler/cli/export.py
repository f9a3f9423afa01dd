"""``cogctl export --bot ID [--out DIR]``: write manifests from live state.

Read-only against the tenant (read scope only). One file per kind per bot under DIR
(``DIR/<bot>/integrations.yaml``, ``slots.yaml``, ``context.yaml``); existing files are left
alone unless ``--force``, which keeps the slot examples and verify thresholds those files
already hold. What it writes validates and plans to zero changes.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import _options, _run
from reconciler.pipeline import exporting, opreports


@click.command("export")
@click.option("--bot", "bot", metavar="ID", required=True,
              help="The bot to export: a botId, or a logical name mapped in cogctl.yaml.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              default=exporting.DEFAULT_OUT, show_default=True,
              help="Directory to write the manifests to.")
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
    request = exporting.ExportRequest(bot=bot, out=out, force=force, env=env, config=config,
                                      emulator_fixture=emulator_fixture,
                                      metrics_file=metrics_file)
    exported = _run.run_async(exporting.export_bot(request, on_note=_run.note))
    for line in opreports.export_lines(exported, out):
        click.echo(line)
