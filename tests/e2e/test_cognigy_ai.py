"""End to end on api cognigy-ai: the CLI as a user runs it (subprocess) against the v2
emulator served over real uvicorn on 127.0.0.1, pointed at it by ``baseUrl``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from reconciler.emulator.cognigy_ai import TenantState, create_app
from reconciler.emulator.platform import serving

ROOT = Path(__file__).resolve().parents[2]
TENANT = ROOT / "manifests" / "fixtures" / "cognigy-ai-tenant.yaml"
KEY = "demo-api-key"
FLOW = "65f0c0ffee0000000000c001"
SLOTS = r"""apiVersion: cogctl/v1
kind: Slot
metadata: {name: order_number, bot: support, labels: {team: support}}
spec:
  patterns: ['\bORD-\d{6}\b']
  fillStrategy: firstMatch
---
apiVersion: cogctl/v1
kind: Slot
metadata: {name: phone_number, bot: support}
spec:
  patterns: ['\+?\d[\d ]{6,14}\d']
  fillStrategy: firstMatch
  dependencies: [order_number]
---
apiVersion: cogctl/v1
kind: ContextDefaults
metadata: {name: defaults, bot: support}
spec:
  variables:
    max_retries: {value: 3, scope: conversation}
    handover_reason: {value: null, scope: session}
"""

pytestmark = pytest.mark.slow


class Tenant:
    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, method: str, path: str, body: Any = None) -> Any:
        answer = httpx.request(method, f"{self.url}/new/v2.0{path}", json=body,
                               headers={"X-API-Key": KEY}, timeout=10)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def log(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.url}/_emulator/requests").json()
        return found

    def clear(self) -> None:
        httpx.delete(f"{self.url}/_emulator/requests")

    def writes(self) -> list[tuple[str, str]]:
        return [(e["method"], e["path"]) for e in self.log() if e["method"] != "GET"]


@pytest.fixture
def tenant() -> Iterator[Tenant]:
    with serving.serve_in_thread(create_app(TenantState.from_fixture(TENANT))) as handle:
        yield Tenant(handle.url)


@pytest.fixture
def cli(tmp_path: Path, tenant: Tenant) -> Any:
    project = tmp_path / "project"
    project.mkdir()
    (project / "cogctl.yaml").write_text(
        "environments:\n  ai:\n    api: cognigy-ai\n"
        f"    baseUrl: {tenant.url}\n"
        "    bots:\n      support: {project: Customer Support, flow: Main, locale: en-US}\n")
    (project / "bot.yaml").write_text(SLOTS)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))},
           "COGNIGY_API_KEY": KEY, "COGCTL_STATE_DIR": str(tmp_path / ".cogctl"),
           "CRM_API_TOKEN": "e2e-crm-token", "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=project,
                              env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert KEY not in done.stdout + done.stderr  # the key is never printed
        return done

    run.project = project  # type: ignore[attr-defined]
    return run


def test_plan_apply_plan_converges_and_the_second_plan_writes_nothing(
        cli: Any, tenant: Tenant) -> None:
    assert cli("validate", ".").returncode == 0
    first = cli("plan", ".")
    assert "Plan: 3 to add" in first.stdout, first.stdout + first.stderr
    applied = cli("apply", ".", "--auto-approve", "--no-verify")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    tenant.clear()
    again = cli("plan", ".")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout
    assert tenant.writes() == []


def test_one_changed_slot_is_one_filler_patch_and_one_train_task(
        cli: Any, tenant: Tenant) -> None:
    assert cli("apply", ".", "--auto-approve", "--no-verify").returncode == 0
    bot = cli.project / "bot.yaml"
    bot.write_text(bot.read_text().replace(r"'\bORD-\d{6}\b'", r"'\bORD-\d{7}\b'"))
    tenant.clear()
    applied = cli("apply", ".", "--auto-approve", "--no-verify")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    writes = tenant.writes()
    filler_patches = [w for w in writes if w[0] == "PATCH" and "/slotfillers/" in w[1]]
    trains = [w for w in writes if w[1].endswith("/intents/train")]
    assert len(filler_patches) == 1, writes
    assert trains == [("POST", f"/new/v2.0/flows/{FLOW}/intents/train")]
    assert not [w for w in writes if w[0] in ("POST", "DELETE") and "/slotfillers" in w[1]]


def test_an_out_of_band_patch_is_drift_and_a_stale_saved_plan_is_refused(
        cli: Any, tenant: Tenant) -> None:
    assert cli("apply", ".", "--auto-approve", "--no-verify").returncode == 0
    saved = cli("plan", ".", "--out", "plan.json")
    assert saved.returncode == 0, saved.stderr
    fillers = tenant.api("GET", f"/flows/{FLOW}/slotfillers")["items"]
    [order] = [f for f in fillers if f["name"] == "order_number"]
    tenant.api("PATCH", f"/flows/{FLOW}/slotfillers/{order['_id']}", {"regex": "/ORD/g"})

    drift = cli("drift", ".")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert "changed outside cogctl" in drift.stdout
    assert "Slot/support/order_number" in drift.stdout

    tenant.clear()
    stale = cli("apply", ".", "--plan", "plan.json", "--auto-approve", "--no-verify")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "stale" in stale.stderr
    assert tenant.writes() == []


@pytest.fixture
def example(cli: Any, tenant: Tenant) -> Any:
    """``cli`` in a copy of ``manifests/`` whose ``local-ai`` is this served emulator: the
    example project as ``make demo`` runs it there, over HTTP."""
    project = cli.project
    for name in ("support", "orders"):
        shutil.copytree(ROOT / "manifests" / name, project / name)
    (project / "bot.yaml").unlink()
    config = yaml.safe_load((ROOT / "manifests" / "cogctl.yaml").read_text())
    ai = config["environments"]["local-ai"]
    del ai["emulator"]
    # the fixture allows 10,000 requests per 5 minutes: pace well under it, not at a tenant's
    ai.update(baseUrl=tenant.url, rateLimitPerMinute=1800)
    config.update(environments={"local-ai": ai}, defaultEnvironment="local-ai")
    (project / "cogctl.yaml").write_text(yaml.safe_dump(config))
    return cli


def test_the_example_project_converges_and_verifies_as_predicted(
        example: Any, tenant: Tenant) -> None:
    assert example("validate", ".").returncode == 0
    planned = example("plan", ".")
    assert "Plan: 13 to add, 2 to change, 0 to destroy." in planned.stdout, planned.stderr
    applied = example("apply", ".", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 15 applied." in applied.stdout
    tenant.clear()
    again = example("plan", ".", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes" in again.stdout
    assert tenant.writes() == []
    verified = example("verify", ".")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rates = [line.split() for line in verified.stdout.splitlines()
             if line.strip().startswith("Slot/")]
    assert len(rates) == 10, verified.stdout
    assert all(row[1] == row[2] == "1.000" for row in rates), verified.stdout  # rate == pred
