"""``cogctl verify``: are the bots trained, extracting well, and passing their suites?"""

from __future__ import annotations

from collections.abc import Mapping

import click

from reconciler import jsontypes
from reconciler.cli import _common, _options, _reports, _run
from reconciler.engine import planmaking
from reconciler.engine import verifying as verdicts
from reconciler.pipeline import projects, verifying


def training_lines(
    report: verdicts.VerifyReport, bot_ids: Mapping[str, str] | None = None
) -> list[str]:
    """Per bot: the model versions its slots were measured with, or that it is not trained.

    Bots are named as apply names them, ``orders (bot_orders)``, from ``bot_ids`` (logical
    bot -> botId).
    """
    names = bot_ids or {}
    by_bot: dict[str, set[str]] = {}
    for slot in report.slots:
        bot = slot.address.split("/")[1]
        by_bot.setdefault(bot, set()).add(slot.model_version or "not trained since last change")
    return [
        f"training {_reports.bot_label(bot, names.get(bot, bot))}: {', '.join(sorted(v))}"
        for bot, v in sorted(by_bot.items())
    ]


@click.command()
@_options.project_options
@_options.output_option("text", "json")
@click.option("--wait", type=float, default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait for metrics of a model still training.")
def verify(settings: _options.Settings, output: str, wait: float) -> None:
    """Check retraining status, extraction metrics of every slot, and simulation suites.

    Exit codes: 0 pass, 3 fail, 1 error.
    """
    project = projects.load_project(settings)
    run = _run.start(settings, "verify")
    report = _run.execute(run, verifying.verify_project(run, project, wait=wait))
    if output == "json":
        click.echo(jsontypes.dumps(report.to_json(), indent=2))
    else:
        bots = planmaking.bot_ids(project)
        table = _reports.verify_table(report, names=_reports.bot_names(bots))
        click.echo("\n".join([*training_lines(report, bots), table]))
    if not report.passed:
        failures = report.failures()
        more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
        raise _common.fail(
            f"verification failed: {'; '.join(failures[:3])}{more}",
            code=_common.EXIT_VERIFY_FAILED,
        )
