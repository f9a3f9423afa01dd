"""``export_bot`` called as a library, against the embedded emulator (in-process), and the
one rule that turns ``--bot`` into a botId and a logical name."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.manifests import models
from reconciler.pipeline import exporting, projects
from reconciler.pipeline.settings import Settings

from .conftest import FIXTURE


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cogctl.yaml whose default environment is the embedded emulator, and one more."""
    for name in ("COGNIGY_TENANT_URL", "COGNIGY_CLIENT_ID", "COGNIGY_CLIENT_SECRET",
                 "COGCTL_STATE_DIR", "COGCTL_ENV"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(FIXTURE, tmp_path / "tenant.yaml")
    (tmp_path / "cogctl.yaml").write_text(
        "defaultEnvironment: local\n"
        "environments:\n"
        "  local:\n    emulator: {fixture: tenant.yaml}\n    bots: {support: bot_support}\n"
        "  prod:\n    tenantUrl: https://prod.example.invalid\n    bots: {support: bot_prod}\n",
        encoding="utf-8")
    return tmp_path


def test_export_reads_the_environment_plan_targets_and_writes_all_files(project: Path) -> None:
    notes: list[str] = []
    request = exporting.ExportRequest(bot="support", out=project / "exported",
                                      config=project / "cogctl.yaml",
                                      metrics_file=project / "metrics.prom")
    exported = asyncio.run(exporting.export_bot(request, on_note=notes.append))

    assert exported.bot_id == "bot_support"
    assert notes[0].startswith("target: embedded emulator")
    assert sorted(p.name for p in exported.written) == ["integrations.yaml"]
    assert "legacy-webhook" in (project / "exported" / "support" / "integrations.yaml").read_text(
        encoding="utf-8")
    assert "cogctl_http_requests_total" in (project / "metrics.prom").read_text(encoding="utf-8")


def test_export_leaves_existing_files_alone_unless_forced(project: Path) -> None:
    request = exporting.ExportRequest(bot="support", out=project / "exported",
                                      config=project / "cogctl.yaml")
    first = asyncio.run(exporting.export_bot(request))
    [written] = first.written
    written.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(errors.CogctlError, match="already exists"):
        asyncio.run(exporting.export_bot(request))
    assert written.read_text(encoding="utf-8") == "# mine\n"
    forced = exporting.ExportRequest(bot="support", out=project / "exported",
                                     config=project / "cogctl.yaml", force=True)
    asyncio.run(exporting.export_bot(forced))
    assert "legacy-webhook" in written.read_text(encoding="utf-8")


def test_an_unknown_bot_is_one_clear_error(project: Path) -> None:
    request = exporting.ExportRequest(bot="bot_nope", out=project / "exported",
                                      config=project / "cogctl.yaml")
    with pytest.raises(errors.CogctlError, match="no bot 'bot_nope' in embedded emulator"):
        asyncio.run(exporting.export_bot(request))
    assert not (project / "exported").exists()


@pytest.mark.parametrize(
    ("given", "bots", "expected"),
    [
        ("support", {"support": "bot_8f3a"}, ("bot_8f3a", "support")),
        ("bot_8f3a", {"support": "bot_8f3a"}, ("bot_8f3a", "support")),
        ("bot_other", {"support": "bot_8f3a"}, ("bot_other", "bot_other")),
        ("bot_other", None, ("bot_other", "bot_other")),
    ],
)
def test_bot_resolution(given: str, bots: dict[str, str] | None,
                        expected: tuple[str, str]) -> None:
    settings = None if bots is None else models.Environment(bots=bots)
    assert exporting.resolve_bot(given, settings) == expected


def test_a_bot_id_that_cannot_be_a_manifest_bot_needs_a_mapping() -> None:
    with pytest.raises(errors.ConfigError, match=r"cannot be a manifest's metadata\.bot"):
        exporting.resolve_bot("bot with spaces", None)


def test_export_finds_the_project_file_plan_finds(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cogctl.yaml further up (a home folder's, say) loses to manifests/cogctl.yaml, as for
    plan: both commands target the same environment."""
    (project / "cogctl.yaml").write_text(
        "environments:\n"
        "  up:\n    emulator: {fixture: tenant.yaml}\n    bots: {support: bot_elsewhere}\n",
        encoding="utf-8")
    work = project / "work"
    (work / "manifests").mkdir(parents=True)
    (work / "manifests" / "cogctl.yaml").write_text(
        "environments:\n"
        "  here:\n    emulator: {fixture: ../../tenant.yaml}\n    bots: {support: bot_support}\n",
        encoding="utf-8")
    monkeypatch.chdir(work)
    planned = projects.project_for_target(Settings())
    exported = asyncio.run(exporting.export_bot(exporting.ExportRequest(bot="support")))
    assert planned.environment == "here"
    assert exported.bot_id == "bot_support"
    assert (work / "exported" / "support" / "integrations.yaml").is_file()
