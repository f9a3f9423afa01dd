"""``cogctl session vars``: a typed, scope-resolved snapshot of a bot session's variables."""

from __future__ import annotations

import time

import click

from reconciler import errors
from reconciler.backend import targeting
from reconciler.cli import _ops, _options, _run
from reconciler.manifests import validating
from reconciler.ops import sessions
from reconciler.records import webhooks


def render_text(snapshot: sessions.Snapshot) -> str:
    count = len(snapshot.variables)
    noun = "variable" if count == 1 else "variables"
    lines = [f"session {snapshot.session_id}: {count} {noun} "
             f"(fetched in {snapshot.seconds * 1000:.0f} ms)"]
    rows = [
        (
            v.name + (" (system)" if v.system else ""),
            _ops.short(v.value),
            v.type,
            v.scope,
            ", ".join(f"{s.scope}={_ops.short(s.value, 20)}" for s in v.shadowed) or "-",
        )
        for v in snapshot.variables
    ]
    lines += _ops.table(("NAME", "VALUE", "TYPE", "SCOPE", "SHADOWED"), rows)
    return "\n".join(lines)


def _sender() -> webhooks.WebhookSender:
    sender = webhooks.from_environment()
    if sender is None:
        raise errors.ConfigError(
            "--webhook needs COGCTL_WEBHOOK_URL", hint="set it and COGCTL_WEBHOOK_SECRET"
        )
    return sender


async def _push(sender: webhooks.WebhookSender, snapshot: sessions.Snapshot) -> tuple[bool, float]:
    started = time.perf_counter()
    delivered = await sender.send("session.variables", snapshot.to_json())
    return delivered, time.perf_counter() - started


async def _vars(
    run: _run.Run,
    project: validating.Project,
    session_id: str,
    *,
    name: str | None,
    scope: str | None,
    include_system: bool,
    sender: webhooks.WebhookSender | None,
) -> tuple[sessions.Snapshot, tuple[bool, float] | None]:
    async with run.target(project, targeting.SCOPES_SESSION_VARS) as target:
        snapshot = await sessions.snapshot(
            target.backend, session_id, name=name, scope=scope, include_system=include_system
        )
    pushed = await _push(sender, snapshot) if sender is not None else None
    return snapshot, pushed


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
@_ops.target_options
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
    sender = _sender() if webhook else None
    run = _run.Run(settings, "session vars")
    project = _ops.project_for_target(settings)
    snapshot, pushed = run.execute(_vars(
        run, project, session_id, name=name, scope=scope, include_system=include_system,
        sender=sender,
    ))
    if output == "json":
        data = snapshot.to_json()
        if pushed is not None:
            data["webhook"] = {"delivered": pushed[0], "latencyMs": round(pushed[1] * 1000, 1)}
        click.echo(_ops.dumps(data))
    else:
        click.echo(render_text(snapshot))
    if pushed is not None:
        state = "delivered" if pushed[0] else "NOT delivered (see the log)"
        click.echo(f"webhook: {state} in {pushed[1] * 1000:.0f} ms", err=True)
