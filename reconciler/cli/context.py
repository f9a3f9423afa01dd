"""``cogctl context inject`` and ``cogctl context render``: a conversation's context."""

from __future__ import annotations

import sys

import click

from reconciler.backend import targeting
from reconciler.cli import _common, _ops, _options, _run
from reconciler.core import livetypes as lt
from reconciler.manifests import validating
from reconciler.ops import contexts


@click.group()
def context() -> None:
    """Write to and render from a conversation's context."""


async def _inject(
    run: _run.Run,
    project: validating.Project,
    conversation_id: str,
    values: dict[str, lt.Json],
    scope: str,
    user_id: str | None,
) -> contexts.InjectResult:
    async with run.target(project, targeting.SCOPES_CONTEXT_INJECT) as target:
        result = await contexts.inject(target.backend, conversation_id, values, scope=scope,
                                       user_id=user_id)
    # Keys and versions only: injected values may be personal data.
    run.audit("context.inject", conversationId=conversation_id, keys=list(result.keys),
              scope=scope, contextVersion=result.version, attempts=result.attempts)
    return result


@context.command("inject")
@click.argument("conversation_id")
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--scope", type=click.Choice(contexts.SCOPES), default=contexts.DEFAULT_SCOPE,
              show_default=True, help="Scope the injected values belong to.")
@click.option("--user-id", "user_id", default=None, metavar="ID",
              help="The session's user (api cognigy-ai writes a session's context with it).")
@_options.output_option("text", "json")
@_ops.target_options
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
    values = contexts.parse_assignments(assignments)
    sent = contexts.entries(values, scope)
    contexts.check_limits(sent, sent)  # refuse oversized values before connecting at all
    run = _run.Run(settings, "context inject")
    project = _ops.project_for_target(settings)
    result = run.execute(_inject(run, project, conversation_id, values, scope, user_id))
    if output == "json":
        click.echo(_ops.dumps(result.to_json()))
        return
    if result.last_writer_wins:
        click.echo(f"conversation {conversation_id} (user {user_id}): set "
                   f"{', '.join(result.keys)} (scope {scope}); {contexts.LAST_WRITER_WINS}")
        return
    tries = "attempt" if result.attempts == 1 else "attempts"
    click.echo(
        f"conversation {conversation_id}: set {', '.join(result.keys)} (scope {scope}); "
        f"contextVersion {result.previous_version} -> {result.version} "
        f"after {result.attempts} {tries}"
    )


async def _render(
    run: _run.Run,
    project: validating.Project,
    template: str,
    conversation_id: str,
    *,
    bot: str | None,
    session_id: str | None,
) -> contexts.Rendered:
    scopes = {"conversation:read"}
    if bot is not None:
        scopes |= targeting.SCOPES_READ
    if session_id is not None:
        scopes |= targeting.SCOPES_SESSION_VARS
    bot_id = project.bot_id(bot) if bot is not None else None
    async with run.target(project, scopes) as target:
        return await contexts.render_conversation(
            target.backend, template, conversation_id, bot_id=bot_id, session_id=session_id
        )


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
@_ops.target_options
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
    text = _read_template(template, inline=inline)
    run = _run.Run(settings, "context render")
    project = _ops.project_for_target(settings)
    rendered = run.execute(
        _render(run, project, text, conversation_id, bot=bot, session_id=session_id)
    )
    if output == "json":
        click.echo(_ops.dumps(rendered.to_json()))
    else:
        click.echo(rendered.text, nl=not rendered.text.endswith("\n"))
    if rendered.unknown:
        click.echo(f"unknown placeholders left as written: {', '.join(rendered.unknown)}",
                   err=True)
        if strict:
            raise click.exceptions.Exit(_common.EXIT_ERROR)


def _read_template(template: str, *, inline: bool) -> str:
    if inline:
        return template
    if template == "-":
        return sys.stdin.read()
    try:
        with open(template, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _common.fail(f"template {template}: cannot read it ({exc}); "
                           "pass --inline to give the text itself") from None
