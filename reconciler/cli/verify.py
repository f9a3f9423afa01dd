"""``cogctl verify``: are the bots trained, extracting well, and passing their suites?"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from reconciler import jsontypes
from reconciler.backend import targeting
from reconciler.cli import _common, _options, _reports, _run
from reconciler.engine import planmaking, simulating, verifying
from reconciler.manifests import models, validating


async def _verify(
    run: _run.Run, project: validating.Project, wait: float
) -> verifying.VerifyReport:
    suites = _run.suites(project)
    scopes = targeting.SCOPES_SIMULATE if suites else targeting.SCOPES_READ
    slots = [m.manifest for m in project.manifests if isinstance(m.manifest, models.Slot)]
    async with run.target(project, scopes) as target:
        live = await _run.fetch_live(target, project)
        checks, missing = verifying.checks_for_slots(slots, live, planmaking.bot_ids(project))
        judged = await verifying.measure_extraction(
            target.backend, checks, baseline={}, deadline_seconds=wait,
            predicted=verifying.predicted_rates(slots),
        )
        reports = await simulating.run_suites(target.backend, suites)
    return verifying.VerifyReport("of live state", (), (*missing, *judged), reports)


def training_lines(
    report: verifying.VerifyReport, bot_ids: Mapping[str, str] | None = None
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
    project = _run.load_project(settings)
    run = _run.Run(settings, "verify")

    async def body() -> verifying.VerifyReport:
        report = await _verify(run, project, wait)
        for slot in report.slots:
            run.audit("verify.verdict", subject=slot.address, passed=slot.passed,
                      detail=slot.reason)
        for suite in report.suites:
            run.audit("verify.verdict", subject=suite.address, passed=suite.passed,
                      detail=f"pass rate {suite.pass_rate:.2f}")
        data: dict[str, Any] = {"passed": report.passed, "failures": report.failures()}
        run.audit("verify.completed", **data)
        await run.notify("verify.completed", data)
        return report

    report = run.execute(body())
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
