"""``cogctl simulate``: run the SimulationSuite cases of the manifests and report coverage."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Sequence
from pathlib import Path

import click

from reconciler import fileio
from reconciler.cli import _common, _ops, _options, _progress, _run
from reconciler.core import simulations
from reconciler.engine import simulating as engine_simulating
from reconciler.pipeline import projects, simulating
from reconciler.rendering import junit

_ICON = {"passed": "ok", "failed": "FAIL", "misconfigured": "MISCONF", "timed_out": "TIMEOUT"}


def render_text(reports: Sequence[simulations.SuiteReport]) -> str:
    lines: list[str] = []
    for report in reports:
        verdict = "PASSED" if report.passed else "FAILED"
        lines.append(
            f"{report.address} (bot {report.bot_id}): {verdict}, pass rate "
            f"{report.pass_rate:.1%} (min {report.min_pass_rate:.1%}), "
            f"{len(report.cases)} cases in {report.seconds:.1f}s"
        )
        rows = [(_ICON[c.status.value], c.id, f"{c.seconds:.2f}s", "; ".join(c.reasons))
                for c in report.cases]
        lines += _ops.table(("", "CASE", "TIME", "DETAIL"), rows, indent="  ")
        coverage = report.coverage
        lines.append(
            f"  coverage: {len(coverage.reached)}/{len(coverage.expected)} expected flows "
            f"reached ({coverage.share:.0%})"
            + (f"; missing: {', '.join(coverage.missing)}" if coverage.missing else "")
        )
        hits = ", ".join(f"{flow} {n}" for flow, n in sorted(coverage.hits.items()))
        lines.append(f"  hits per flow: {hits or 'none'}")
        misconfigured = report.counts()["misconfigured"]
        if misconfigured:
            lines.append(f"  {misconfigured} misconfigured cases: the suite or the bot's setup "
                         "is wrong (not the bot's answers); fix them first")
    return "\n".join(lines)


@click.command()
@_options.project_options
@click.option("--suite", "suite_names", multiple=True, metavar="NAME",
              help="Run only this suite (metadata.name or address); repeatable.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write a JUnit XML report to FILE (for CI).")
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
        click.echo(_ops.dumps({**engine_simulating.summarize(reports),
                               "reports": [r.to_json() for r in reports]}))
    else:
        click.echo(render_text(reports))
    if not all(report.passed for report in reports):
        raise click.exceptions.Exit(_common.EXIT_VERIFY_FAILED)
