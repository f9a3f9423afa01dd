"""Export a bot's live objects as manifests: the call behind ``cogctl export``.

Read scope only. The environment is the one ``plan`` targets: the same cogctl.yaml (found as
``plan`` finds it with no PATHS, else beside ``--out``) and the same rule (``--env``,
``COGCTL_ENV``, ``defaultEnvironment``, ...). ``--bot`` is a logical name mapped there, a
mapped botId, or a bare botId that can be a manifest's ``metadata.bot``. Files are written
all or none (``ops.exporting``), keeping the slot examples and verify thresholds files
already there hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler import errors, statedir
from reconciler.backend import targeting
from reconciler.engine import fetching
from reconciler.manifests import models, validating
from reconciler.ops import exporting
from reconciler.pipeline import projects, running
from reconciler.records import metrics

DEFAULT_OUT = Path("exported")


@dataclass(frozen=True)
class ExportRequest:
    bot: str
    out: Path = DEFAULT_OUT
    force: bool = False
    env: str | None = None
    config: Path | None = None
    emulator_fixture: Path | None = None
    metrics_file: Path | None = None


@dataclass(frozen=True)
class Exported:
    """What was read (``result``: files, skipped objects, secret placeholders) and written."""

    bot_id: str
    result: exporting.ExportResult
    written: tuple[Path, ...]


async def export_bot(request: ExportRequest, *, on_note: running.Note = running.ignore) -> Exported:
    """Read the bot, note every object left out, write its files; metrics however it ends."""
    # Where plan looks with no PATHS first (manifests/, then here and up), --out's folder last.
    config_path = request.config or validating.find_config([*validating.DEFAULT_PATHS, request.out])
    config = projects.load_config(config_path)
    environment, settings = targeting.choose_environment(config, request.env)
    bot_id, logical = resolve_bot(request.bot, settings)
    project = validating.Project(manifests=(), diagnostics=(), config=config,
                                 config_path=config_path, environment=environment)
    recorder = metrics.MetricsRecorder()
    try:
        result = await _read(project, request, bot_id, logical, recorder, on_note)
    finally:
        if request.metrics_file is not None:
            recorder.write(request.metrics_file)
    for line in result.skipped:
        on_note(f"warning: {line}")
    written = (exporting.write_export(request.out, result.files, force=request.force)
               if result.files else [])
    return Exported(bot_id, result, tuple(written))


async def _read(
    project: validating.Project,
    request: ExportRequest,
    bot_id: str,
    logical: str,
    recorder: metrics.MetricsRecorder,
    on_note: running.Note,
) -> exporting.ExportResult:
    async with running.connect(
        project, targeting.SCOPES_READ, emulator_fixture=request.emulator_fixture,
        state_dir=statedir.state_dir(project_file=project.config_path), observers=[recorder],
    ) as target:
        on_note(f"target: {target.description}")
        try:
            await target.backend.get_bot(bot_id)
        except errors.NotFoundError:
            raise errors.CogctlError(
                f"no bot {bot_id!r} in {target.description}",
                hint="check --bot and the bots mapping of cogctl.yaml",
            ) from None
        live = await fetching.fetch_live_state(target.backend, [bot_id])
        refused = await exporting.refusals(target.backend, bot_id)
    root = project.config_path.parent if project.config_path else Path(".")
    return exporting.export_bot(
        live, bot_id, logical, kept=exporting.kept_slot_parts(request.out, logical),
        schema=exporting.schema_reference(request.out, root, logical), refused=refused,
    )


def resolve_bot(given: str, settings: models.Environment | None) -> tuple[str, str]:
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
