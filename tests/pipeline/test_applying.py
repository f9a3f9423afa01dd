"""``apply_plan`` called as a library, against the emulator in-process: it converges, writes
nothing it was not approved to write, and records every write's intent before the write."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest
from core import builders as b

from reconciler import errors
from reconciler.core import plans
from reconciler.core import writetypes as wt
from reconciler.engine import progress
from reconciler.pipeline import applying, planning, projects
from reconciler.pipeline.settings import Settings

from .conftest import CANARY, Notes, Tenant, start


def _request(settings: Settings, tenant: Tenant, **options: object) -> applying.ApplyRequest:
    request = applying.prepare(settings, **options)  # type: ignore[arg-type]
    return dataclasses.replace(request, apply=tenant.apply_options(),
                               verify=tenant.verify_options())


def test_apply_converges_and_a_second_plan_sends_no_write(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    shown: list[plans.Plan] = []
    events: list[progress.Event] = []
    run = start(settings, tenant, notes, "apply")
    done = asyncio.run(applying.apply_plan(
        run, _request(settings, tenant), show=shown.append,
        watch=lambda plan: _Watching(events)))
    run.finish()

    assert done.release is not None
    assert done.release.result.writes_ok
    assert done.release.verified
    assert shown == [done.plan]
    assert any(isinstance(e, progress.ChangeOutcome) for e in events)
    # The marker is written into the context defaults before the slots: their scope is asked.
    assert {"cognigy:slots:write", "context:write", "cognigy:nlp:retrain"} <= tenant.scopes[0]
    asyncio.run(tenant.clear_requests())

    again = asyncio.run(planning.plan_project(start(settings, tenant, notes, "plan"),
                                              projects.load_project(settings)))
    assert not again.plan.summary().has_changes
    assert asyncio.run(tenant.writes()) == []


class _Watching:
    """A ``watch`` that keeps every event it is shown."""

    def __init__(self, events: list[progress.Event]) -> None:
        self.events = events

    def __enter__(self) -> progress.Listener:
        return self.events.append

    def __exit__(self, *exc: object) -> None:
        return None


def test_every_write_is_in_the_audit_log_after_its_intent(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    run = start(settings, tenant, notes, "apply")
    asyncio.run(applying.apply_plan(run, _request(settings, tenant)))
    assert settings.audit_log is not None
    text = settings.audit_log.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines()]
    events = [e["event"] for e in entries]
    assert events[0] == "apply.started"
    assert events[-1] == "apply.completed"
    intents = [i for i, e in enumerate(entries) if e["event"] == "apply.write.intent"]
    for index, entry in enumerate(entries):
        if entry["event"] == "apply.write":
            address = entry["fields"]["address"]
            assert any(entries[i]["fields"]["address"] == address for i in intents if i < index)
    assert CANARY not in text


class _Refused(Exception):
    pass


def test_an_apply_not_approved_writes_nothing(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    asked: list[str] = []

    def refuse(plan: plans.Plan) -> None:
        asked.append(plan.target)
        raise _Refused

    run = start(settings, tenant, notes, "apply")
    with pytest.raises(_Refused):
        asyncio.run(applying.apply_plan(run, _request(settings, tenant), approve=refuse))
    assert len(asked) == 1
    assert asyncio.run(tenant.writes()) == []


def test_a_missing_secret_refuses_before_anyone_is_asked(
    settings: Settings, tenant: Tenant, notes: Notes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("E2E_CRM_TOKEN")

    def approve(plan: plans.Plan) -> None:
        pytest.fail("asked to approve a plan apply must refuse")

    run = start(settings, tenant, notes, "apply")
    with pytest.raises(errors.ConfigError, match=r"Integration/support/crm-lookup needs \$E2E"):
        asyncio.run(applying.apply_plan(run, _request(settings, tenant), approve=approve))
    assert asyncio.run(tenant.writes()) == []


def test_a_saved_plan_applies_once_then_is_stale(
    settings: Settings, tenant: Tenant, notes: Notes, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    asyncio.run(planning.plan_project(start(settings, tenant, notes, "plan"),
                                      projects.load_project(settings), out=out))
    first = asyncio.run(applying.apply_plan(start(settings, tenant, notes, "apply"),
                                            _request(settings, tenant, plan_file=out)))
    assert first.release is not None
    assert first.release.result.writes_ok
    with pytest.raises(errors.StalePlanError, match="already applied"):
        asyncio.run(applying.apply_plan(start(settings, tenant, notes, "apply"),
                                        _request(settings, tenant, plan_file=out)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "--concurrency must be at least 1"),
        ({"targets": ("Slot/support/email",), "plan_file": "saved"}, "--target applies to a fresh"),
        ({"prune": True, "plan_file": "saved"}, "--prune does not change a saved plan"),
    ],
)
def test_contradicting_options_are_refused_before_anything_connects(
    settings: Settings, tenant: Tenant, notes: Notes, tmp_path: Path,
    options: dict[str, object], message: str,
) -> None:
    if options.get("plan_file") == "saved":
        out = tmp_path / "plan.json"
        asyncio.run(planning.plan_project(start(settings, tenant, notes, "plan"),
                                          projects.load_project(settings), out=out))
        options = {**options, "plan_file": out}
        tenant.scopes.clear()
    with pytest.raises(errors.ConfigError, match=message):
        applying.prepare(settings, **options)  # type: ignore[arg-type]
    assert tenant.scopes == []


def test_a_saved_plan_path_given_as_manifests_is_refused(settings: Settings,
                                                         tmp_path: Path) -> None:
    plan = plans.Plan(target="t", fingerprint="f")
    out = tmp_path / "plan.json"
    planning.save_plan(plan, out)
    with pytest.raises(errors.ConfigError, match="use cogctl apply --plan"):
        applying.prepare(dataclasses.replace(settings, paths=(out,)))


_BODIES: dict[str, wt.IntegrationBody | wt.SlotBody | wt.ContextPatch] = {
    "Integration": b.integration_body("crm_lookup", bot_id="bot_support"),
    "Slot": b.slot_body("x", bot_id="bot_support"),
    "ContextDefaults": b.context_body({"lang": {"value": "en"}}),
}


@pytest.mark.parametrize(
    ("kinds", "retrain", "expected"),
    [
        ({"Integration"}, False, {"cognigy:platform:read", "cognigy:integrations:write"}),
        ({"Slot"}, False, {"cognigy:platform:read", "cognigy:slots:write", "context:write",
                           "cognigy:nlp:retrain"}),
        (set(), True, {"cognigy:platform:read", "cognigy:slots:write", "context:write",
                       "cognigy:nlp:retrain"}),
    ],
)
def test_a_saved_plan_asks_for_the_scopes_of_its_own_changes(
    settings: Settings, kinds: set[str], retrain: bool, expected: set[str]
) -> None:
    changes = tuple(
        plans.Change(address=f"{kind}/support/x", kind=kind, bot="support", bot_id="bot_support",
                     name="x", action=plans.Action.UPDATE, reason="r", drift=False,
                     before={}, after={}, live_id="i", live_version="1", write=_BODIES[kind])
        for kind in kinds)
    saved = plans.Plan(target="t", fingerprint="f", changes=changes,
                       retrain=("bot_support",) if retrain else ())
    request = applying.ApplyRequest(project=projects.load_project(settings), saved=saved)
    assert applying.apply_scopes(request) >= expected
    assert "simulation:execute" in applying.apply_scopes(request)  # the project has a suite
    unverified = dataclasses.replace(request, verify=dataclasses.replace(request.verify,
                                                                         enabled=False))
    assert applying.apply_scopes(unverified) == frozenset(expected)


def test_a_fresh_apply_with_prune_may_write_every_kind(settings: Settings) -> None:
    only_slots = dataclasses.replace(settings, paths=(settings.paths[0] / "slots.yaml",))
    request = applying.ApplyRequest(project=projects.load_project(only_slots))
    assert "cognigy:integrations:write" not in applying.apply_scopes(request)
    pruning = dataclasses.replace(request, prune=True)
    assert {"cognigy:integrations:write", "cognigy:slots:write",
            "context:write"} <= applying.apply_scopes(pruning)
