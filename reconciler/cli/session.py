"""``cogctl session vars``: a typed, scope-resolved snapshot of a bot session's variables."""

from __future__ import annotations

import click

from reconciler.cli import _options, _run
from reconciler.ops import sessions
from reconciler.pipeline import operations, opreports, projects
from reconciler.rendering import tables


@click.group()
def session() -> None:
    """Inspect bot sessions."""


@session.command("vars")
@click.argument("session_id")
@click.option("--name", "name", metavar="PREFIX", default=None,
              help="Only variables whose name starts with PREFIX.")
@click.option("--scope", type=click.Choice(sessions.API_SCOPES), default=None,
              help="Only variables of this scope.")
@click.option("--include-system", is_flag=True, help="Include _-prefixed system variables.")
@_options.output_option("text", "json")
@click.option("--webhook", is_flag=True,
              help="Also push the snapshot as a signed webhook (COGCTL_WEBHOOK_URL).")
@_options.target_options
def vars_(
    settings: _options.Settings,
    session_id: str,
    name: str | None,
    scope: str | None,
    include_system: bool,
    output: str,
    webhook: bool,
) -> None:
    """Show SESSION_ID's variables, typed and resolved by scope (narrowest wins).

    Precedence: global < bot < user < conversation < session. Each variable shows its
    value, type, winning scope and the scopes it shadowed.
    """
    sender = operations.webhook_sender() if webhook else None
    run = _run.start(settings, "session vars")
    project = projects.project_for_target(settings)
    snapshot, pushed = _run.execute(run, operations.session_variables(
        run, project, session_id, name=name, scope=scope, include_system=include_system,
        sender=sender,
    ))
    if output == "json":
        click.echo(tables.dumps(opreports.session_document(snapshot, pushed)))
    else:
        click.echo(opreports.session_text(snapshot))
    if pushed is not None:
        click.echo(opreports.webhook_line(pushed), err=True)
