"""``plan_project`` and ``check_drift`` called as a library, against the emulator in-process."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Collection, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.backend import targeting
from reconciler.engine import planmaking
from reconciler.manifests import validating
from reconciler.pipeline import planning, projects, running
from reconciler.pipeline.settings import Settings

from .conftest import CANARY, DESCRIPTION, Notes, Tenant, start


def audit_events(settings: Settings) -> list[dict[str, Any]]:
    assert settings.audit_log is not None
    lines = settings.audit_log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_a_plan_reads_with_the_read_scope_only_and_is_recorded(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    project = projects.load_project(settings)
    run = start(settings, tenant, notes, "plan")
    planned = asyncio.run(planning.plan_project(run, project))
    run.finish()

    assert planned.plan.target == DESCRIPTION
    assert {c.address for c in planned.plan.pending()} >= {
        "Slot/support/order_number", "Slot/support/email", "Integration/support/crm-lookup"}
    assert tenant.scopes == [targeting.SCOPES_READ]
    assert notes == [f"target: {DESCRIPTION}"]
    assert asyncio.run(tenant.writes()) == []
    [entry] = audit_events(settings)
    assert entry["event"] == "plan.created"
    assert entry["fields"]["fingerprint"] == planned.plan.fingerprint
    assert CANARY not in settings.audit_log.read_text(encoding="utf-8")  # type: ignore[union-attr]


def test_a_missing_secret_is_noted_and_the_plan_saved_where_asked(
    settings: Settings, tenant: Tenant, notes: Notes, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("E2E_CRM_TOKEN")
    project = projects.load_project(settings)
    run = start(settings, tenant, notes, "plan")
    out = tmp_path / "plan.json"
    planned = asyncio.run(planning.plan_project(run, project, out=out))

    assert notes[1:] == [
        "warning: $E2E_CRM_TOKEN is not set: Integration/support/crm-lookup cannot be "
        "compared, and apply will refuse to write it until it is set"]
    saved = planmaking.read_saved_file(out)
    assert saved.fingerprint == planned.plan.fingerprint
    assert [c.address for c in saved.changes] == [c.address for c in planned.plan.changes]


def test_drift_is_recorded_in_the_audit_log_and_the_metrics_file(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    project = projects.load_project(settings)
    run = start(settings, tenant, notes, "drift")
    checked = asyncio.run(planning.check_drift(run, project))
    run.finish()

    assert checked.drifted
    assert [e["event"] for e in audit_events(settings)] == ["drift.checked"]
    assert settings.metrics_file is not None
    text = settings.metrics_file.read_text(encoding="utf-8")
    assert 'cogctl_drift_exit_code{environment="test"} 2.0' in text
    assert 'cogctl_drift_detected{environment="test"} 1.0' in text


@contextlib.asynccontextmanager
async def _unreachable(
    project: validating.Project, scopes: Collection[str], observers: Sequence[object]
) -> AsyncIterator[targeting.Target]:
    raise errors.TransportError("connection refused")
    yield  # an async generator, as a connector is


def test_a_drift_check_that_cannot_compare_counts_as_failed(settings: Settings) -> None:
    project = projects.load_project(settings)
    run = running.Run(settings, "drift", connector=_unreachable)
    with pytest.raises(errors.TransportError):
        asyncio.run(planning.check_drift(run, project))
    run.finish()

    assert settings.metrics_file is not None
    text = settings.metrics_file.read_text(encoding="utf-8")
    assert 'cogctl_drift_exit_code{environment="test"} 1.0' in text
    assert "cogctl_drift_detected" not in text


def test_prune_is_refused_on_part_of_the_project(settings: Settings) -> None:
    part = Settings(paths=(settings.paths[0] / "slots.yaml",))
    with pytest.raises(errors.ConfigError, match="--prune"):
        projects.load_project(part, prune=True)
