"""``cogctl export`` end to end: the emulator over real HTTP, the CLI as a user runs it.

Convergence: what export writes validates, ``plan --detailed-exitcode`` on it exits 0
("No changes"), and the emulator's request log shows that neither command wrote anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from reconciler.emulator.platform import TenantState, create_app, serve_in_thread
from reconciler.emulator.platform.serving import ServerHandle

pytestmark = pytest.mark.e2e

CANARY = "canary-export-cli-8e51"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

FIXTURE = f"""
settings: {{rateLimitPerMinute: 6000}}
workspaces:
  - id: ws_1
    clients:
      - clientId: reader
        clientSecret: reader-secret
        scopes: [cognigy:platform:read]
    bots:
      - botId: bot_8f3a
        name: Support
        integrations:
          - name: crm-lookup
            labels: {{managed-by: cogctl, team: care}}
            config:
              url: https://crm.example.com/orders
              method: POST
              auth_type: api_key
              auth_header_name: X-Api-Key
              auth_secret: {CANARY}
        slots:
          - slotId: slot_order
            name: order_number
            patterns: ['ORD-[0-9]{{6}}']
          - slotId: slot_email
            name: email
            patterns: ['[a-z]+@[a-z]+\\.[a-z]+']
            dependencies: [slot_order]
        context:
          greeting: {{value: "Hello!", scope: conversation}}
"""

CONFIG = """
environments:
  staging:
    tenantUrl: https://staging.example.invalid
    bots: {support: bot_8f3a}
"""


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[ServerHandle]:
    fixture = tmp_path / "tenant.yaml"
    fixture.write_text(FIXTURE, encoding="utf-8")
    with serve_in_thread(create_app(TenantState.from_fixture(fixture))) as server:
        yield server


def _cogctl(cwd: Path, tenant: ServerHandle, *args: str,
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGCTL_", "COGNIGY_"))}
    env.update({
        "COGNIGY_TENANT_URL": tenant.url, "COGNIGY_CLIENT_ID": "reader",
        "COGNIGY_CLIENT_SECRET": "reader-secret", "COGCTL_STATE_DIR": str(cwd / ".cogctl"),
        "NO_COLOR": "1", **(extra or {}),
    })
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _requests(tenant: ServerHandle) -> list[dict[str, object]]:
    answer = httpx.get(f"{tenant.url}/_emulator/requests", timeout=10)
    answer.raise_for_status()
    body = answer.json()
    return list(body["requests"] if isinstance(body, dict) else body)


def _project(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "cogctl.yaml").write_text(CONFIG, encoding="utf-8")
    return work


def test_export_then_plan_converges_without_writes(tmp_path: Path, tenant: ServerHandle) -> None:
    work = _project(tmp_path)
    exported = _cogctl(work, tenant, "export", "--bot", "support", "--env", "staging",
                       "--metrics-file", "metrics.prom")
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr.startswith(f"target: tenant {tenant.url}")
    assert exported.stdout.splitlines()[:3] == [
        "wrote exported/support/context.yaml (1 document)",
        "wrote exported/support/integrations.yaml (1 document)",
        "wrote exported/support/slots.yaml (2 documents)",
    ]
    assert "note: set SUPPORT_CRM_LOOKUP_SECRET" in exported.stdout
    slots = list(yaml.safe_load_all((work / "exported/support/slots.yaml").read_text()))
    assert slots[0]["metadata"] == {"name": "email", "bot": "support"}
    assert slots[0]["spec"]["dependencies"] == ["order_number"]
    assert "cogctl_http_requests_total" in (work / "metrics.prom").read_text()
    # every document names the project's schema (work/schemas/), relative to its own file
    text = (work / "exported/support/slots.yaml").read_text()
    assert text.count("---\n# yaml-language-server: $schema=../../schemas/manifest.schema.json"
                      "\n") == 2

    validated = _cogctl(work, tenant, "validate", "exported")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    planned = _cogctl(work, tenant, "plan", "exported", "--env", "staging",
                      "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout

    log = _requests(tenant)
    assert log, "the emulator saw no requests"
    assert [r for r in log if r["method"] in WRITES and "token" not in str(r["path"])] == []
    everything = exported.stdout + exported.stderr + planned.stdout + planned.stderr
    everything += "".join(p.read_text() for p in (work / "exported").rglob("*.yaml"))
    assert CANARY not in everything


def test_existing_files_are_kept_unless_forced(tmp_path: Path, tenant: ServerHandle) -> None:
    work = _project(tmp_path)
    target = work / "out" / "support" / "slots.yaml"  # cogctl.yaml maps support -> bot_8f3a
    target.parent.mkdir(parents=True)
    target.write_text("# mine\n", encoding="utf-8")
    refused = _cogctl(work, tenant, "export", "--bot", "bot_8f3a", "--out", "out")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        "error: out/support/slots.yaml already exists "
        "(pass --force to overwrite, or --out another directory)"
    )
    assert target.read_text(encoding="utf-8") == "# mine\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["slots.yaml"]  # nothing else
    forced = _cogctl(work, tenant, "export", "--bot", "bot_8f3a", "--out", "out", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "kind: Slot" in target.read_text(encoding="utf-8")
    assert "bot: support" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bot", "bot_missing"], "error: no bot 'bot_missing' in tenant"),
        (["--bot", "support", "--env", "prod"], "error: unknown environment 'prod'"),
    ],
)
def test_errors_are_one_clear_line(tmp_path: Path, tenant: ServerHandle, args: list[str],
                                   message: str) -> None:
    work = _project(tmp_path)
    result = _cogctl(work, tenant, "export", *args)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(message)
    assert "Traceback" not in result.stderr
    assert not (work / "exported").exists()


def test_export_targets_the_environment_plan_targets(tmp_path: Path, tenant: ServerHandle) -> None:
    """COGCTL_ENV chooses the environment for export exactly as it does for plan."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "cogctl.yaml").write_text(
        "environments:\n"
        "  local:\n    emulator: {fixture: none.yaml}\n    bots: {support: bot_local}\n"
        "  prod:\n    tenantUrl: https://prod.example.invalid\n    bots: {support: bot_8f3a}\n",
        encoding="utf-8")
    env = {"COGCTL_ENV": "prod"}
    exported = _cogctl(work, tenant, "export", "--bot", "support", extra=env)
    assert exported.returncode == 0, exported.stderr
    assert "wrote exported/support/slots.yaml (2 documents)" in exported.stdout
    (work / "cogctl.yaml").rename(work / "exported" / "cogctl.yaml")
    planned = _cogctl(work, tenant, "plan", "exported", "--detailed-exitcode", extra=env)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout

