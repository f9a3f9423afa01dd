"""``cogctl simulate``: run the SimulationSuite cases of the manifests and report coverage."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import click

from reconciler import fileio
from reconciler.cli import _options, _progress, _run
from reconciler.pipeline import exitcodes, opreports, projects, simulating
from reconciler.rendering import junit, results, tables


@click.command()
@_options.project_options
@click.option("--suite", "suite_names", multiple=True, metavar="NAME",
              help="Run only this suite (metadata.name or address); repeatable.")
@_options.junit_option
@_options.output_option("text", "json")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Simulations in flight at once.")
@click.option("--deadline", type=click.FloatRange(min=1.0), default=120.0, show_default=True,
              help="Seconds a simulation may take before its case counts as timed out.")
def simulate(
    settings: _options.Settings,
    suite_names: tuple[str, ...],
    junit_file: Path | None,
    output: str,
    concurrency: int,
    deadline: float,
) -> None:
    """Run the SimulationSuite cases of the manifests and report pass rate and coverage.

    Exit 0 when every suite reaches its minPassRate, 3 when one does not, 1 on an error.
    """
    run = _run.start(settings, "simulate")
    project = projects.load_project(settings)
    chosen = projects.select_suites(project, suite_names)
    reports = _run.execute(run, simulating.simulate_suites(
        run, project, chosen, concurrency=concurrency, deadline=deadline,
        watch=_progress.Display,
    ))
    if junit_file is not None:
        stamp = dt.datetime.now(dt.timezone.utc)
        fileio.write_atomic(junit_file, junit.render(reports, timestamp=stamp,
                                                     hostname=socket.gethostname()))
    if output == "json":
        click.echo(tables.dumps(opreports.simulation_document(reports)))
    else:
        click.echo(results.suites_text(reports))
    if not all(report.passed for report in reports):
        raise click.exceptions.Exit(exitcodes.VERIFY_FAILED)
