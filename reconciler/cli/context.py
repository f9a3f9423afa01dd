"""``cogctl context inject`` and ``cogctl context render``: a conversation's context."""

from __future__ import annotations

import sys

import click

from reconciler.cli import _options, _run
from reconciler.ops import contexts
from reconciler.pipeline import exitcodes, operations, opreports, projects
from reconciler.rendering import tables


@click.group()
def context() -> None:
    """Write to and render from a conversation's context."""


@context.command("inject")
@click.argument("conversation_id")
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--scope", type=click.Choice(contexts.SCOPES), default=contexts.DEFAULT_SCOPE,
              show_default=True, help="Scope the injected values belong to.")
@click.option("--user-id", "user_id", default=None, metavar="ID",
              help="The session's user (api cognigy-ai writes a session's context with it).")
@_options.output_option("text", "json")
@_options.target_options
def inject(
    settings: _options.Settings,
    conversation_id: str,
    assignments: tuple[str, ...],
    scope: str,
    user_id: str | None,
    output: str,
) -> None:
    """Set KEY=VALUE pairs in CONVERSATION_ID's context (PATCH with If-Match).

    VALUE is parsed as JSON where it parses (42, true, {"a": 1}), else taken as text. Keys,
    the 10 KB per value and the 512 KB total are checked before anything is sent. A 409
    (someone else wrote first) is re-read, merged and retried a few times. On api
    cognigy-ai the values are injected into the session's context with --user-id, once:
    the last writer wins (that api keeps no version).
    """
    values = operations.context_values(assignments, scope)
    run = _run.start(settings, "context inject")
    project = projects.project_for_target(settings)
    result = _run.execute(run, operations.inject_context(run, project, conversation_id, values,
                                                         scope=scope, user_id=user_id))
    click.echo(tables.dumps(result.to_json()) if output == "json"
               else opreports.inject_line(result))


@context.command("render")
@click.argument("template", metavar="TEMPLATE")
@click.option("--conversation", "conversation_id", required=True, metavar="ID",
              help="The conversation whose context fills the placeholders.")
@click.option("--bot", default=None, metavar="BOT",
              help="Also use this bot's context defaults (logical name or botId).")
@click.option("--session", "session_id", default=None, metavar="ID",
              help="Also use this session's variables.")
@click.option("--inline", is_flag=True, help="TEMPLATE is the template text, not a file.")
@click.option("--strict", is_flag=True, help="Exit 1 when a placeholder is unknown.")
@_options.output_option("text", "json")
@_options.target_options
def render(
    settings: _options.Settings,
    template: str,
    conversation_id: str,
    bot: str | None,
    session_id: str | None,
    inline: bool,
    strict: bool,
    output: str,
) -> None:
    """Fill {{name}} placeholders in TEMPLATE (a file, or - for stdin) from the context.

    Values are resolved by scope, narrowest first: global < bot < user < conversation <
    session. Unknown placeholders stay as written and are listed on stderr.
    """
    text = template if inline else (
        sys.stdin.read() if template == "-" else operations.read_template(template))
    run = _run.start(settings, "context render")
    project = projects.project_for_target(settings)
    rendered = _run.execute(run, operations.render_context(
        run, project, text, conversation_id, bot=bot, session_id=session_id))
    if output == "json":
        click.echo(tables.dumps(rendered.to_json()))
    else:
        click.echo(rendered.text, nl=not rendered.text.endswith("\n"))
    if rendered.unknown:
        click.echo(f"unknown placeholders left as written: {', '.join(rendered.unknown)}",
                   err=True)
        if strict:
            raise click.exceptions.Exit(exitcodes.ERROR)
