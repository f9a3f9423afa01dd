"""End to end on api cognigy-ai with an integration and a keyphrase slot: the CLI as a user
runs it against the v2 emulator over real HTTP (the servers and runner of
``e2e/test_cognigy_ai.py``), the secret from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.test_cognigy_ai import FLOW, Tenant, cli, tenant

__all__ = ["cli", "tenant"]  # the fixtures, shared with the first end-to-end suite

pytestmark = pytest.mark.slow

CANARY = "canary-5d1e-never-shown"
MANIFESTS = r"""apiVersion: cogctl/v1
kind: Integration
metadata: {name: crm_lookup, bot: support, labels: {team: crm}}
spec:
  description: Look the order up
  url: https://crm.example.com/orders
  method: POST
  auth: {type: api_key, headerName: X-API-Key, secret: {fromEnv: CRM_API_KEY}}
  headers: {Accept: application/json}
  requestMapping: {body: {order: '{{slots.order_number}}'}}
  timeoutSeconds: 8
---
apiVersion: cogctl/v1
kind: Slot
metadata: {name: airline, bot: support}
spec:
  type: keyphrase
  patterns: [United, Lufthansa]
  fillStrategy: fuzzy
"""


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The integration's secret, in the environment the CLI runs with (set before ``cli``)."""
    monkeypatch.setenv("CRM_API_KEY", CANARY)
    monkeypatch.setenv("CRM_API_KEY_NEXT", "rotated-" + CANARY)


@pytest.fixture
def project(cli: Any) -> Any:
    (cli.project / "bot.yaml").write_text(MANIFESTS)
    return cli


def run(cli: Any, *args: str) -> Any:
    done = cli(*args)
    assert CANARY not in done.stdout + done.stderr
    return done


def nodes(tenant: Tenant) -> list[dict[str, Any]]:
    flows = tenant.api("GET", "/flows")["items"]
    found = []
    for flow in flows:
        found += [n for n in tenant.api("GET", f"/flows/{flow['_id']}/chart/nodes")["items"]
                  if n["type"] == "httpRequest"]
    return found


def files_under(path: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in path.rglob("*") if p.is_file())


def test_plan_apply_plan_converges_and_the_secret_is_shown_and_kept_nowhere(
        project: Any, tenant: Tenant) -> None:
    assert run(project, "validate", ".").returncode == 0
    first = run(project, "plan", ".", "--out", "plan.json")
    assert "Plan: 2 to add" in first.stdout, first.stdout + first.stderr
    applied = run(project, "apply", ".", "--auto-approve", "--no-verify")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    tenant.clear()
    again = run(project, "plan", ".")
    assert again.returncode == 0, again.stderr
    assert "No changes" in again.stdout, again.stdout
    assert tenant.writes() == []
    assert CANARY not in (project.project / "plan.json").read_text()
    assert CANARY not in files_under(project.project.parent / ".cogctl")
    state = [f for f in tenant.api("GET", "/flows")["items"] if f["name"] == "cogctl-state"]
    assert CANARY not in str(tenant.api("GET", f"/flows/{state[0]['_id']}"))
    [node] = nodes(tenant)
    assert node["label"] == "crm_lookup"
    lexicons = tenant.api("GET", "/lexicons")["items"]
    assert [lx["_id"] for lx in lexicons] == tenant.api("GET", f"/flows/{FLOW}")[
        "attachedLexicons"]


def test_a_changed_secret_is_exactly_one_connection_update(
        project: Any, tenant: Tenant) -> None:
    assert run(project, "apply", ".", "--auto-approve", "--no-verify").returncode == 0
    bot = project.project / "bot.yaml"
    bot.write_text(bot.read_text().replace("fromEnv: CRM_API_KEY}", "fromEnv: CRM_API_KEY_NEXT}"))
    planned = run(project, "plan", ".")
    assert "1 to change" in planned.stdout, planned.stdout + planned.stderr
    tenant.clear()
    applied = run(project, "apply", ".", "--auto-approve", "--no-verify")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    writes = tenant.writes()
    assert [w for w in writes if "/connections" in w[1]] == [
        ("PATCH", w[1]) for w in writes if w[1].startswith("/new/v2.0/connections/")]
    assert len([w for w in writes if "/connections" in w[1]]) == 1, writes
    assert not [w for w in writes if "/chart/" in w[1]], writes


def test_an_out_of_band_node_change_is_drift(project: Any, tenant: Tenant) -> None:
    assert run(project, "apply", ".", "--auto-approve", "--no-verify").returncode == 0
    [node] = nodes(tenant)
    flow = next(f["_id"] for f in tenant.api("GET", "/flows")["items"]
                if f["name"] == "cogctl-integrations")
    full = tenant.api("GET", f"/flows/{flow}/chart/nodes/{node['_id']}")
    tenant.api("PATCH", f"/flows/{flow}/chart/nodes/{node['_id']}",
               {"config": {**full["config"], "url": "https://elsewhere.example.com/"}})
    drift = run(project, "drift", ".", "--output", "json")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert '"drift": true' in drift.stdout
    assert "Integration/support/crm_lookup" in drift.stdout


def faults(tenant: Tenant, config: dict[str, Any]) -> None:
    httpx.put(f"{tenant.url}/_emulator/faults", json=config).raise_for_status()


def test_faults_converge_in_two_runs_without_duplicates(project: Any, tenant: Tenant) -> None:
    faults(tenant, {"rate": 0.3, "seed": 3, "kinds": ["503", "429", "commit-then-503"]})
    for _ in range(2):
        if run(project, "apply", ".", "--auto-approve", "--no-verify").returncode == 0:
            break
    faults(tenant, {})
    injected = {e["fault"] for e in tenant.log() if e["fault"]}
    assert "commit-then-503" in injected, injected  # the faults did happen
    assert len(nodes(tenant)) == 1
    assert len(tenant.api("GET", "/connections")["items"]) == 1
    assert len(tenant.api("GET", "/lexicons")["items"]) == 1
    tenant.clear()
    again = run(project, "plan", ".")
    assert "No changes" in again.stdout, again.stdout + again.stderr
    assert tenant.writes() == []
