"""What a command loads before it connects: projects, suites, integrations, payloads, and
``verify_project`` against the emulator in-process."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.pipeline import operations, projects, verifying
from reconciler.pipeline.settings import Settings

from .conftest import Notes, Tenant, start


def test_commands_on_ids_need_no_manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGCTL_ENV", raising=False)
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "cogctl.yaml").write_text(
        "environments:\n  staging: {tenantUrl: https://staging.example.com}\n", encoding="utf-8")
    project = projects.project_for_target(Settings(paths=(tmp_path / "manifests",)))
    assert project.manifests == ()
    assert project.environment == "staging"


def test_commands_on_ids_find_the_cogctl_yaml_here_without_a_manifests_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COGCTL_ENV", raising=False)
    (tmp_path / "cogctl.yaml").write_text(
        "environments:\n  staging: {tenantUrl: https://staging.example.com}\n", encoding="utf-8")
    (tmp_path / "deeper").mkdir()
    monkeypatch.chdir(tmp_path / "deeper")
    project = projects.project_for_target(Settings())  # PATHS default: manifests/, absent
    assert project.config_path is not None
    assert project.config_path.resolve() == (tmp_path / "cogctl.yaml").resolve()
    assert project.environment == "staging"


def test_commands_on_ids_still_refuse_invalid_manifests(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: cogctl/v1\nkind: Slot\n", encoding="utf-8")
    with pytest.raises(errors.ManifestError, match=r"bad\.yaml"):
        projects.project_for_target(Settings(paths=(tmp_path,)))


def test_without_any_project_the_environment_is_only_a_label(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project = projects.project_for_target(Settings(paths=(tmp_path / "none",), env="ci"))
    assert (project.config, project.environment) == (None, "ci")


def test_manifest_commands_refuse_a_folder_without_manifests(tmp_path: Path) -> None:
    with pytest.raises(errors.ManifestError, match="no manifests found"):
        projects.load_project(Settings(paths=(tmp_path,)))


@pytest.mark.parametrize(
    ("names", "found", "message"),
    [
        ((), ["SimulationSuite/support/orders"], None),
        (("orders",), ["SimulationSuite/support/orders"], None),
        (("SimulationSuite/support/orders",), ["SimulationSuite/support/orders"], None),
        (("nope",), [], r"no SimulationSuite named nope \(known: orders\)"),
    ],
)
def test_suites_are_chosen_by_name_or_address(
    settings: Settings, names: tuple[str, ...], found: list[str], message: str | None
) -> None:
    project = projects.load_project(settings)
    if message is not None:
        with pytest.raises(errors.ConfigError, match=message):
            projects.select_suites(project, names)
        return
    assert [s.address for s, _ in projects.select_suites(project, names)] == found


@pytest.mark.parametrize(
    ("name", "bot", "message"),
    [
        ("crm-lookup", None, None),
        ("Integration/support/crm-lookup", None, None),
        ("crm-lookup", "other", r"no Integration named 'crm-lookup'.*known: Integration/"),
        ("nope", None, r"no Integration named 'nope'"),
    ],
)
def test_an_integration_is_found_by_name_or_address(
    settings: Settings, name: str, bot: str | None, message: str | None
) -> None:
    project = projects.load_project(settings)
    if message is not None:
        with pytest.raises(errors.ConfigError, match=message):
            operations.find_integration(project, name, bot)
        return
    assert operations.find_integration(project, name, bot).address == (
        "Integration/support/crm-lookup")


@pytest.mark.parametrize(
    ("text", "message"),
    [("[1, 2]", "expected a JSON object"), ("{nope", "not a readable JSON file")],
)
def test_a_payload_must_be_a_json_object(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "payload.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(errors.ConfigError, match=message):
        operations.read_payload(path)


def test_context_values_over_the_limit_are_refused_before_connecting() -> None:
    assert operations.context_values(["a=1", "b=text"], "conversation") == {"a": 1, "b": "text"}
    with pytest.raises(errors.CogctlError):
        operations.context_values([f"big={'x' * 20_000}"], "conversation")


def test_verify_measures_live_state_and_records_every_verdict(
    settings: Settings, tenant: Tenant, notes: Notes
) -> None:
    project = projects.load_project(settings)
    run = start(settings, tenant, notes, "verify")
    report = asyncio.run(verifying.verify_project(run, project, wait=5.0, clock=tenant.clock,
                                                  sleep=tenant.clock.sleep))
    assert not report.passed  # nothing applied yet: the manifests' slots are not live
    assert {s.address for s in report.slots} == {"Slot/support/order_number",
                                                 "Slot/support/email"}
    assert tenant.scopes == [frozenset({"cognigy:platform:read", "simulation:execute"})]
    assert settings.audit_log is not None
    events = [json.loads(line)["event"]
              for line in settings.audit_log.read_text(encoding="utf-8").splitlines()]
    assert events.count("verify.verdict") == len(report.slots) + len(report.suites)
    assert events[-1] == "verify.completed"
