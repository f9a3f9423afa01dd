"""Glue every command shares: load the project, open the target, plan, record the run.

A command builds one ``Run`` (audit log, webhook sender, metrics recorder) from its
``Settings``; ``Run.target`` opens the backend with exactly the scopes asked for and prints
the target as the first line on stderr; ``make_plan`` is load -> fetch -> plan. No business
logic lives here, only the order of calls and what gets recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Collection, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler import errors, statedir
from reconciler.backend import targeting
from reconciler.cli import _common, _options
from reconciler.core import livestate, planning, plans
from reconciler.engine import planmaking
from reconciler.manifests import models, validating
from reconciler.records import audithead, auditing, metrics, provenance, webhooks

T = TypeVar("T")
Desired = models.Integration | models.Slot | models.ContextDefaults


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to the end (Ctrl-C surfaces as KeyboardInterrupt).

    Ctrl-C (and SIGTERM, which is delivered through it) cancels the running coroutine, so its
    cleanup runs inside it (embedded state saved, clients closed), then KeyboardInterrupt is
    raised: what Python 3.11's asyncio runner does, done by hand on 3.10.
    """
    if sys.version_info >= (3, 11):
        return asyncio.run(coro)
    return asyncio.run(_cancelled_on_sigint(coro))


async def _cancelled_on_sigint(coro: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: nothing to intercept
        return await coro
    try:
        return await coro
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def load_project(settings: _options.Settings) -> validating.Project:
    """Load and validate every document; no API call happens before this succeeds."""
    project = validating.load_project(
        list(settings.paths), env=settings.env, config=settings.config
    )
    return validating.require_valid(project)


bot_ids = planmaking.bot_ids
desired = planmaking.desired
secret_values = planmaking.secret_values


def suites(project: validating.Project, bots: Collection[str] | None = None) -> list[
    tuple[models.SimulationSuite, str]
]:
    """(suite, botId) for every suite, or only those of ``bots`` (botIds) when given."""
    found = []
    for loaded in project.manifests:
        manifest = loaded.manifest
        if isinstance(manifest, models.SimulationSuite):
            bot_id = project.bot_id(manifest.metadata.bot)
            if bots is None or bot_id in bots:
                found.append((manifest, bot_id))
    return found


def missing_secret_warnings(
    project: validating.Project, env: Mapping[str, str] = os.environ
) -> list[str]:
    """One warning per secret the manifests reference that the environment does not hold."""
    users: dict[str, list[str]] = {}
    for manifest in planmaking.desired(project):
        if isinstance(manifest, models.Integration) and manifest.spec.auth.secret is not None:
            users.setdefault(manifest.spec.auth.secret.fromEnv, []).append(manifest.address)
    return [
        f"warning: ${name} is not set: {', '.join(addresses)} cannot be compared, and apply "
        "will refuse to write it until it is set"
        for name, addresses in sorted(users.items()) if not env.get(name)
    ]


class Run:
    """One command's recording: audit entries, webhook events, and the metrics file."""

    def __init__(self, settings: _options.Settings, command: str) -> None:
        self.settings = settings
        self.command = command
        self.metrics = metrics.MetricsRecorder()
        # the project file load_project reads: state and audit log are anchored beside it
        project_file = settings.config or validating.find_config(list(settings.paths))
        self.state_dir = statedir.state_dir(project_file=project_file)
        self._audit = auditing.AuditLog(
            settings.audit_log or auditing.default_path(project_file=project_file))
        self._webhook = webhooks.from_environment()
        self.environment: str | None = None
        self.provenance = provenance.provenance()
        self.done: dict[str, str] = {}  # address -> outcome, as writes finish
        self._embedded: str | None = None  # the embedded emulator's description, once open
        self._on_interrupt: list[Callable[[int], None]] = []
        self._head_file = audithead.head_path()
        if self._head_file is not None:
            gap = audithead.check(self._audit.path, self._head_file)
            if gap is not None:
                click.echo(gap.warning, err=True)
                self.audit(audithead.GAP_EVENT, **gap.fields)

    def audit(self, event: str, **fields: Any) -> None:
        self._audit.append(event, command=self.command, environment=self.environment,
                           **self.provenance, **fields)

    async def notify(self, event_type: str, data: dict[str, Any]) -> None:
        """Send a signed webhook when configured; a failure is logged, never fatal."""
        if self._webhook is not None:
            await self._webhook.send(
                event_type, {"environment": self.environment, **self.provenance, **data}
            )

    def finish(self) -> None:
        if self._head_file is not None:
            audithead.record(self._audit.path, self._head_file)
        if self.settings.metrics_file is not None:
            self.metrics.write(self.settings.metrics_file)

    def on_interrupt(self, record: Callable[[int], None]) -> None:
        """Call ``record(exit_code)`` if the run is interrupted, before the metrics are written."""
        self._on_interrupt.append(record)

    def note_done(self, address: str, outcome: str) -> None:
        """A write finished (whatever its outcome): said if the run is interrupted."""
        self.done[address] = outcome

    def execute(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run the command's coroutine; the metrics file is written however it ends, and an
        interrupted run (Ctrl-C, SIGTERM) says what it had done before it stopped."""
        try:
            return run_async(coro)
        except KeyboardInterrupt:
            click.echo(self.interrupted_note(), err=True)
            code = _common.EXIT_TERMINATED if _common.termination.received \
                else _common.EXIT_INTERRUPTED
            for record in self._on_interrupt:
                record(code)
            raise
        finally:
            self.finish()

    def interrupted_note(self) -> str:
        if self.done:
            finished = ", ".join(f"{a} ({o})" for a, o in self.done.items())
            said = (f"stopped cleanly: {len(self.done)} write(s) had finished: {finished}; "
                    "no further write was started (one in flight may have reached the tenant: "
                    "the audit log records each intent)")
        else:
            said = "stopped cleanly before any write finished"
        if self._embedded is not None:
            said += f"; {self._embedded} saved"
        return said + "; run the command again to go on"

    @contextlib.asynccontextmanager
    async def target(
        self, project: validating.Project, scopes: Collection[str]
    ) -> AsyncIterator[targeting.Target]:
        """Open the backend; the first line on stderr says where the command runs."""
        async with targeting.connect(
            config=project.config,
            config_path=project.config_path,
            environment=project.environment,
            scopes=scopes,
            emulator_fixture=self.settings.emulator_fixture,
            state_dir=self.state_dir,
            observers=[self.metrics],
            manifests=[loaded.manifest for loaded in project.manifests],
        ) as target:
            self.environment = target.environment
            if target.embedded:
                self._embedded = f"embedded emulator state ({target.description})"
            click.echo(f"target: {target.description}", err=True)
            yield target


async def fetch_live(target: targeting.Target, project: validating.Project) -> livestate.LiveState:
    return await planmaking.fetch_live(target.backend, project)


def check_prune(project: validating.Project, settings: _options.Settings) -> None:
    """Refuse --prune (exit 1) unless this run loads every manifest path of the project."""
    problem = planning.prune_scope_problem(
        validating.project_paths(project), [Path(os.path.abspath(p)) for p in settings.paths]
    )
    if problem is not None:
        raise errors.ConfigError(
            problem, hint="run on every path of the project (list them under manifests: in "
                          "cogctl.yaml), and narrow with --target instead")


async def make_plan(
    target: targeting.Target, project: validating.Project, *, prune: bool,
    targets: Sequence[str] = (),
) -> tuple[plans.Plan, livestate.LiveState]:
    """Fetch the live state of the manifests' bots and diff it into a plan."""
    return await planmaking.make_plan(
        target.backend, project, target=target.description, prune=prune, targets=targets
    )


def plan_fields(plan: plans.Plan) -> dict[str, Any]:
    """What the audit log and webhooks say about a plan (never a secret)."""
    return {
        "target": plan.target,
        "fingerprint": plan.fingerprint,
        "summary": plan.summary().as_dict(),
        "changes": [
            {"address": c.address, "action": c.action.value, "drift": c.drift}
            for c in plan.pending()
        ],
    }
