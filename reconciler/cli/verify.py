"""``cogctl verify``: are the bots trained, extracting well, and passing their suites?"""

from __future__ import annotations

import click

from reconciler import jsontypes
from reconciler.cli import _common, _options, _run
from reconciler.engine import planmaking
from reconciler.pipeline import exitcodes, projects, reports, verifying


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
        click.echo(reports.verify_text(report, planmaking.bot_ids(project)))
    if not report.passed:
        raise _common.fail(reports.verify_failure_line(report), code=exitcodes.VERIFY_FAILED)
