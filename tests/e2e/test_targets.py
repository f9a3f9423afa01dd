"""``--target`` and safe prune, as a user runs them, against the emulator over real HTTP.

Before targets existed, the only way to plan part of a project was to pass fewer paths, and
``plan one-file.yaml --prune`` then planned to delete every managed object of the other files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from reconciler.emulator.platform import TenantState, create_app, serving

ROOT = Path(__file__).resolve().parents[2]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[str]:
    fixture = yaml.safe_load((ROOT / "manifests" / "fixtures" / "demo-tenant.yaml").read_text())
    fixture["settings"].update(trainingSeconds=0.2, simulationSeconds=0.05)
    path = tmp_path / "tenant.yaml"
    path.write_text(yaml.safe_dump(fixture))
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    with serving.serve_in_thread(create_app(TenantState.from_fixture(path))) as handle:
        yield handle.url


def _cogctl(cwd: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGCTL_", "COGNIGY_"))}
    env.update(COGNIGY_TENANT_URL=url, COGNIGY_CLIENT_ID="demo-client",
               COGNIGY_CLIENT_SECRET="demo-client-secret", NO_COLOR="1",
               COGCTL_STATE_DIR=str(cwd / ".cogctl"), CRM_API_TOKEN="crm-token-for-tests")
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=300, check=False)


def _drop_slot(file: Path, name: str) -> None:
    documents = file.read_text().split("\n---\n")
    kept = [d for d in documents if f"\n  name: {name}\n" not in f"\n{d}"]
    assert len(kept) == len(documents) - 1
    file.write_text("\n---\n".join(kept))


def _writes(url: str) -> list[str]:
    log = httpx.get(f"{url}/_emulator/requests", timeout=10).json()
    entries = log["requests"] if isinstance(log, dict) else log
    return [f"{e['method']} {e['path']}" for e in entries
            if e["method"] in WRITES and not e["path"].endswith("/oauth/token")]


@pytest.mark.e2e
def test_a_targeted_prune_deletes_nothing_outside_its_targets(tmp_path: Path,
                                                              tenant: str) -> None:
    applied = _cogctl(tmp_path, tenant, "apply", "manifests", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    _drop_slot(tmp_path / "manifests" / "orders" / "slots.yaml", "coupon_code")
    _drop_slot(tmp_path / "manifests" / "support" / "slots.yaml", "callback_time")

    planned = _cogctl(tmp_path, tenant, "plan", "manifests", "--prune",
                      "--target", "Slot/orders/*")
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("Targeted plan (--target Slot/orders/*): only these "
                                     "objects")
    assert "# Slot/orders/coupon_code will be deleted" in planned.stdout
    assert "callback_time" not in planned.stdout
    assert "0 to add, 0 to change, 1 to destroy" in planned.stdout

    httpx.delete(f"{tenant}/_emulator/requests", timeout=10)
    # The orders suite still uses the deleted slot: verification is not the point here.
    done = _cogctl(tmp_path, tenant, "apply", "manifests", "--prune", "--target",
                   "Slot/orders/*", "--auto-approve", "--no-verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len([w for w in _writes(tenant) if w.startswith("DELETE")]) == 1
    assert "Slot/orders/coupon_code: deleted" in done.stderr

    # Converged for its targets; the support slot is still live, still only listed.
    httpx.delete(f"{tenant}/_emulator/requests", timeout=10)
    again = _cogctl(tmp_path, tenant, "plan", "manifests", "--prune", "--target",
                    "Slot/orders/*", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _writes(tenant) == []
    whole = _cogctl(tmp_path, tenant, "plan", "manifests")
    assert "Slot/support/callback_time" in whole.stdout


@pytest.mark.e2e
def test_prune_on_part_of_the_project_is_refused(tmp_path: Path, tenant: str) -> None:
    one_file = _cogctl(tmp_path, tenant, "plan", "manifests/orders/slots.yaml", "--prune")
    assert one_file.returncode == 1
    [line] = one_file.stderr.strip().splitlines()
    assert line.startswith("error: --prune needs every manifest path of the project, and "
                           f"this run does not load {tmp_path / 'manifests'}")
    assert "--target" in line
    refused = _cogctl(tmp_path, tenant, "apply", "manifests/orders", "--prune",
                      "--auto-approve")
    assert refused.returncode == 1
    assert "--prune needs every manifest path" in refused.stderr
    assert _writes(tenant) == []
    # Without prune a part of the project plans as before.
    assert _cogctl(tmp_path, tenant, "plan", "manifests/orders").returncode == 0


@pytest.mark.e2e
def test_a_new_target_brings_its_new_dependencies(tmp_path: Path, tenant: str) -> None:
    planned = _cogctl(tmp_path, tenant, "plan", "manifests", "--target",
                      "Slot/orders/delivery_date")
    assert planned.returncode == 0, planned.stderr
    assert "# Slot/orders/delivery_date will be created" in planned.stdout
    assert "# Slot/orders/postcode will be created" in planned.stdout  # its dependency
    assert "Slot/orders/sku" not in planned.stdout
    assert "2 to add, 0 to change, 0 to destroy" in planned.stdout
