"""One command's run: where it connects and what it records (audit log, webhooks, metrics).

A command builds one ``Run`` from its ``Settings``. ``Run.target`` opens the backend with
exactly the scopes asked for and says where the command runs (``target: ...``) through the
run's ``Note`` callback, before any request; ``audit`` and ``notify`` record what happened;
``finish`` writes the metrics file and the audit chain's head however the run ended. Writes
that finished are remembered, so an interrupted run can say what it had done.

The target is the project's environment, by the one rule every command follows (``connect``);
a ``connector`` given to the run replaces it (tests hand it the emulator in-process).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from reconciler import statedir
from reconciler.backend import base, targeting
from reconciler.core import plans
from reconciler.manifests import validating
from reconciler.pipeline.settings import Settings
from reconciler.records import audithead, auditing, metrics, provenance, webhooks

Note = Callable[[str], None]
"""A line for the person running the command (the CLI prints it on stderr)."""


def ignore(line: str) -> None:
    """The ``Note`` of callers that show nothing."""


Connect = Callable[
    [validating.Project, Collection[str], Sequence[base.RequestObserver]],
    AbstractAsyncContextManager[targeting.Target],
]
"""Opens a project's target with the scopes given, reporting every request to the observers."""


def connect(
    project: validating.Project,
    scopes: Collection[str],
    *,
    state_dir: Path,
    emulator_fixture: Path | None = None,
    observers: Sequence[base.RequestObserver] = (),
) -> AbstractAsyncContextManager[targeting.Target]:
    """Open the project's target: the environment the project chose, by the one rule."""
    return targeting.connect(
        config=project.config,
        config_path=project.config_path,
        environment=project.environment,
        scopes=scopes,
        emulator_fixture=emulator_fixture,
        state_dir=state_dir,
        observers=observers,
        # a backend may need what the manifests say beyond the plan (cognigy-ai: simulation
        # cases and slot examples, run as playbooks)
        manifests=[loaded.manifest for loaded in project.manifests],
    )


class Run:
    """One command's recording: audit entries, webhook events, and the metrics file."""

    def __init__(self, settings: Settings, command: str, *, on_note: Note = ignore,
                 connector: Connect | None = None) -> None:
        self.settings = settings
        self.command = command
        self.note = on_note
        self._connect = connector or self._connect_configured
        self.metrics = metrics.MetricsRecorder()
        project_file = settings.project_file
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
                on_note(gap.warning)
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
        """The audit chain's head and the metrics file: written however the command ended."""
        if self._head_file is not None:
            audithead.record(self._audit.path, self._head_file)
        if self.settings.metrics_file is not None:
            self.metrics.write(self.settings.metrics_file)

    def on_interrupt(self, record: Callable[[int], None]) -> None:
        """Have ``record(exit_code)`` called if the run is interrupted, before ``finish``."""
        self._on_interrupt.append(record)

    def interrupted(self, exit_code: int) -> None:
        """The run was interrupted (Ctrl-C: 130, SIGTERM: 143): let each command record it."""
        for record in self._on_interrupt:
            record(exit_code)

    def note_done(self, address: str, outcome: str) -> None:
        """A write finished (whatever its outcome): said if the run is interrupted."""
        self.done[address] = outcome

    def interrupted_note(self) -> str:
        """What an interrupted run (Ctrl-C, SIGTERM) had done before it stopped."""
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
        """Open the backend; the first note says where the command runs."""
        async with self._connect(project, scopes, [self.metrics]) as target:
            self.note(f"target: {target.description}")
            self.environment = target.environment
            if target.embedded:
                self._embedded = f"embedded emulator state ({target.description})"
            yield target

    def _connect_configured(
        self, project: validating.Project, scopes: Collection[str],
        observers: Sequence[base.RequestObserver],
    ) -> AbstractAsyncContextManager[targeting.Target]:
        return connect(project, scopes, state_dir=self.state_dir,
                       emulator_fixture=self.settings.emulator_fixture, observers=observers)


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
