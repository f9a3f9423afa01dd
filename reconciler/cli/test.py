"""``cogctl test``: run every slot's examples offline and report them per slot."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import click

from reconciler import fileio
from reconciler.cli import _common, _ops, _options
from reconciler.manifests import examples, validating
from reconciler.rendering import junit


def render_text(report: examples.ExampleReport) -> str:
    lines: list[str] = []
    for slot in report.slots:
        if not slot.total:
            lines.append(f"{slot.address}: no examples")
            continue
        verdict = "PASSED" if slot.passed else "FAILED"
        lines.append(f"{slot.address}: {verdict}, {slot.passed_count}/{slot.total} examples "
                     f"pass (min {slot.min_rate:.0%})")
        rows = [("ok" if o.passed else "FAIL", examples.shown(o.text),
                 examples.shown(o.expected), examples.shown(o.extracted))
                for o in slot.outcomes]
        lines += _ops.table(("", "TEXT", "EXPECTED", "EXTRACTED"), rows, indent="  ")
    failed = sum(not s.passed for s in report.slots)
    count = len(report.slots)
    lines.append(f"{report.examples} examples in {count} slot{'s' if count != 1 else ''}: "
                 f"{report.examples - report.failed_examples} pass, "
                 f"{report.failed_examples} fail; "
                 + (f"{failed} slot(s) below verify.minExampleRate" if failed
                    else "every slot passes"))
    return "\n".join(lines)


@click.command(epilog="Exit codes: 0 every slot passes, 3 a slot's examples fail, 1 error.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write a JUnit XML report to FILE (for CI).")
@_options.env_option
@_options.config_option
def test(paths: tuple[Path, ...], junit_file: Path | None, env: str | None,
         config: Path | None) -> None:
    """Run every slot's examples (default: manifests/) through its patterns, offline.

    No API call and no credentials: extraction is computed exactly as the tenant does it.
    """
    _project, report = validating.check_examples(list(paths), env=env, config=config)
    if junit_file is not None:
        fileio.write_atomic(junit_file, junit.render_examples(
            report, timestamp=dt.datetime.now(dt.timezone.utc), hostname=socket.gethostname()))
    click.echo(render_text(report))
    if not report.passed:
        raise click.exceptions.Exit(_common.EXIT_VERIFY_FAILED)
