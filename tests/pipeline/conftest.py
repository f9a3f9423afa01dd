"""The pipeline's calls against the emulator in-process: a ``Run`` whose connector opens the
real client over the harness's transport, every wait on the harness's fake clock."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Collection, Sequence
from pathlib import Path

import harness
import pytest

from reconciler.backend import base, targeting
from reconciler.emulator.platform import TenantState
from reconciler.engine import applying, releasing
from reconciler.manifests import validating
from reconciler.pipeline import running
from reconciler.pipeline.settings import Settings

TESTS = Path(__file__).resolve().parents[1]
FIXTURE = TESTS / "e2e" / "fixtures" / "tenant.yaml"
PROJECT = TESTS / "e2e" / "project"
CANARY = "canary-5ecret-pipeline-2b7e"
DESCRIPTION = f"tenant {harness.BASE_URL}"


class Tenant(harness.EmulatedTenant):
    """The e2e fixture in-process; ``connect`` is a ``running.Connect`` that records the
    scopes each connection asked for."""

    def __init__(self) -> None:
        super().__init__(TenantState.from_fixture(FIXTURE))
        self.scopes: list[frozenset[str]] = []

    @contextlib.asynccontextmanager
    async def connect(
        self, project: validating.Project, scopes: Collection[str],
        observers: Sequence[base.RequestObserver],
    ) -> AsyncIterator[targeting.Target]:
        self.scopes.append(frozenset(scopes))
        backend = self.backend("e2e-client", "e2e-client-secret", sorted(scopes),
                               observers=observers)
        try:
            yield targeting.Target(project.environment, backend, DESCRIPTION, False)
        finally:
            await backend.aclose()

    def apply_options(self) -> applying.ApplyOptions:
        return applying.ApplyOptions(clock=self.clock, sleep=self.clock.sleep,
                                     env={"E2E_CRM_TOKEN": CANARY})

    def verify_options(self) -> releasing.VerifyOptions:
        return releasing.VerifyOptions(clock=self.clock, sleep=self.clock.sleep)


@pytest.fixture
def tenant() -> Tenant:
    return Tenant()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The e2e project copied into ``tmp_path``, its audit log and metrics file beside it."""
    for name in ("COGCTL_WEBHOOK_URL", "COGCTL_AUDIT_HEAD", "COGCTL_AUDIT_LOG", "COGCTL_ENV",
                 "COGNIGY_TENANT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("E2E_CRM_TOKEN", CANARY)
    shutil.copytree(PROJECT, tmp_path / "project")
    return Settings(paths=(tmp_path / "project",), audit_log=tmp_path / "audit.jsonl",
                    metrics_file=tmp_path / "metrics.prom")


class Notes(list[str]):
    """The lines a run meant for the person running the command."""


@pytest.fixture
def notes() -> Notes:
    return Notes()


def start(settings: Settings, tenant: Tenant, notes: Notes, command: str) -> running.Run:
    return running.Run(settings, command, on_note=notes.append, connector=tenant.connect)
