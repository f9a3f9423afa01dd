"""``cogctl test``: run every slot's examples offline and report them per slot."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

import click

from reconciler import fileio
from reconciler.cli import _options
from reconciler.manifests import validating
from reconciler.pipeline import exitcodes
from reconciler.rendering import junit, results


@click.command(epilog="Exit codes: 0 every slot passes, 3 a slot's examples fail, 1 error.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_options.junit_option
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
    click.echo(results.examples_text(report))
    if not report.passed:
        raise click.exceptions.Exit(exitcodes.VERIFY_FAILED)
