"""The operational calls beside the reconcile loop: a conversation's context (inject, render),
a session's variables, an integration probe.

Each asks for exactly the scopes it needs and records what it did: injected keys and
versions only (values may be personal data), a probe's status and latency. Input is checked
before anything connects: values over the context limits, an unknown integration, a payload
that is not a JSON object.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler import errors, fileio, jsontypes
from reconciler.backend import targeting
from reconciler.core import livetypes as lt
from reconciler.manifests import models, validating
from reconciler.ops import contexts, probing, sessions
from reconciler.pipeline import running
from reconciler.records import webhooks


def context_values(assignments: Sequence[str], scope: str) -> dict[str, lt.Json]:
    """KEY=VALUE pairs as values, refused before connecting when over the context limits."""
    values = contexts.parse_assignments(assignments)
    sent = contexts.entries(values, scope)
    contexts.check_limits(sent, sent)
    return values


async def inject_context(
    run: running.Run,
    project: validating.Project,
    conversation_id: str,
    values: dict[str, lt.Json],
    *,
    scope: str = contexts.DEFAULT_SCOPE,
    user_id: str | None = None,
) -> contexts.InjectResult:
    """PATCH ``values`` into the conversation's context (If-Match, 409s merged and retried);
    on api cognigy-ai into the session's context with its user, once (last writer wins)."""
    async with run.target(project, targeting.SCOPES_CONTEXT_INJECT) as target:
        result = await contexts.inject(target.backend, conversation_id, values, scope=scope,
                                       user_id=user_id)
    # Keys and versions only: injected values may be personal data.
    run.audit("context.inject", conversationId=conversation_id, keys=list(result.keys),
              scope=scope, contextVersion=result.version, attempts=result.attempts)
    return result


def read_template(path: str) -> str:
    """A template file's text (``path`` as the user gave it); one clear error when it cannot
    be read."""
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.ConfigError(f"template {path}: cannot read it ({exc}); "
                                 "pass --inline to give the text itself") from None


async def render_context(
    run: running.Run,
    project: validating.Project,
    template: str,
    conversation_id: str,
    *,
    bot: str | None = None,
    session_id: str | None = None,
) -> contexts.Rendered:
    """Fill ``template`` from the conversation (and the bot's defaults, the session's
    variables when asked): each source read with its own scope only."""
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


@dataclass(frozen=True)
class Delivery:
    """A webhook sent: whether it was delivered, and how long that took."""

    delivered: bool
    seconds: float


def webhook_sender() -> webhooks.WebhookSender:
    """The configured sender, for a command asked to push a webhook (``--webhook``)."""
    sender = webhooks.from_environment()
    if sender is None:
        raise errors.ConfigError(
            "--webhook needs COGCTL_WEBHOOK_URL", hint="set it and COGCTL_WEBHOOK_SECRET"
        )
    return sender


async def session_variables(
    run: running.Run,
    project: validating.Project,
    session_id: str,
    *,
    name: str | None = None,
    scope: str | None = None,
    include_system: bool = False,
    sender: webhooks.WebhookSender | None = None,
) -> tuple[sessions.Snapshot, Delivery | None]:
    """The session's variables resolved by scope; pushed through ``sender`` when given."""
    async with run.target(project, targeting.SCOPES_SESSION_VARS) as target:
        snapshot = await sessions.snapshot(
            target.backend, session_id, name=name, scope=scope, include_system=include_system
        )
    if sender is None:
        return snapshot, None
    started = time.perf_counter()
    delivered = await sender.send("session.variables", snapshot.to_json())
    return snapshot, Delivery(delivered, time.perf_counter() - started)


def find_integration(
    project: validating.Project, name: str, bot: str | None
) -> models.Integration:
    """The Integration called ``name`` (in ``bot``, when several bots have one)."""
    every = [loaded.manifest for loaded in project.manifests
             if isinstance(loaded.manifest, models.Integration)]
    found = [m for m in every if name in (m.metadata.name, m.address)
             and (bot is None or m.metadata.bot == bot)]
    if not found:
        known = sorted(m.address for m in every)
        raise errors.ConfigError(f"no Integration named {name!r} in the manifests "
                                 f"(known: {', '.join(known) or 'none'})")
    if len(found) > 1:
        raise errors.ConfigError(f"several bots have an Integration named {name!r} "
                                 f"({', '.join(m.address for m in found)}); pass --bot")
    return found[0]


def read_payload(path: Path | None) -> dict[str, lt.Json] | None:
    """A probe's sample payload (``--payload``): a JSON object, or None when not given."""
    if path is None:
        return None
    try:
        data = jsontypes.loads(fileio.read_bounded(path, fileio.DEFAULT_READ_LIMIT))
    except (OSError, ValueError) as exc:
        raise errors.ConfigError(f"--payload {path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise errors.ConfigError(f"--payload {path}: expected a JSON object")
    return data


async def probe_integration(
    run: running.Run,
    integration: models.Integration,
    *,
    payload: dict[str, lt.Json] | None = None,
    allow_private: bool = False,
    ca_bundle: Path | None = None,
) -> probing.ProbeResult:
    """Call the integration as its manifest says (behind the SSRF guard) and record it."""
    result = await probing.probe(integration, payload=payload, env=os.environ,
                                 allow_private=allow_private, ca_bundle=ca_bundle)
    run.audit("integration.probe", integration=result.address, status=result.status,
              ok=result.ok, latencyMs=round(result.seconds * 1000, 1))
    return result
