"""Every command on api cognigy-ai end to end: the CLI as a user runs it (subprocess) against
the v2 emulator over real uvicorn on 127.0.0.1 (``tenant`` and ``cli`` of
``e2e/test_cognigy_ai.py``), with convergence checked wherever state changes."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import yaml
from e2e.test_cognigy_ai import Tenant

pytestmark = pytest.mark.slow

BOT = r"""apiVersion: cogctl/v1
kind: Slot
metadata: {name: order_number, bot: support}
spec:
  patterns: ['\bORD-\d{6}\b']
  fillStrategy: firstMatch
  examples:
    - {text: where is my order ORD-123456, value: ORD-123456}
    - {text: track ORD-222222 for me, value: ORD-222222}
    - {text: hello there, value: null}
---
apiVersion: cogctl/v1
kind: ContextDefaults
metadata: {name: defaults, bot: support}
spec:
  variables:
    max_retries: {value: 3, scope: conversation}
---
apiVersion: cogctl/v1
kind: SimulationSuite
metadata: {name: smoke, bot: support}
spec:
  expectedFlows: [Main]
  minPassRate: 1.0
  cases:
    - id: test_order
      userId: usr_ann01
      utterance: where is my order ORD-123456
      expect:
        intent: order_status
        entities: {order_number: ORD-123456}
        responseContains: status of your order
    - id: test_email
      userId: usr_bob01
      utterance: please change my email
      expect: {intent: update_email}
"""


@pytest.fixture
def project(cli: Any) -> Any:
    (cli.project / "bot.yaml").write_text(BOT)
    return cli


def playbook_writes(tenant: Tenant) -> list[tuple[str, str]]:
    return [w for w in tenant.writes() if w[1].startswith("/new/v2.0/playbooks")
            and not w[1].endswith("/schedule") and "/runs/" not in w[1]]


def test_apply_verifies_by_playbooks_and_a_second_plan_writes_nothing(
        project: Any, tenant: Tenant) -> None:
    applied = project("apply", ".", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Slot/support/order_number   1.000" in applied.stdout
    assert "suite SimulationSuite/support/smoke: pass rate 1.00" in applied.stdout
    tenant.clear()
    again = project("plan", ".")
    assert "No changes" in again.stdout, again.stdout + again.stderr
    assert tenant.writes() == []

    verified = project("verify", ".")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "flow Main (en-US) trained; intent accuracy" in verified.stdout
    assert playbook_writes(tenant) == []  # the playbooks of apply's verification are reused


def test_simulate_passes_reuses_its_playbooks_and_fails_with_exit_3(
        project: Any, tenant: Tenant) -> None:
    assert project("apply", ".", "--auto-approve", "--no-verify").returncode == 0
    first = project("simulate", ".")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "coverage: not measured (1 expected flows): no turn reported" in first.stdout
    tenant.clear()
    assert project("simulate", ".").returncode == 0
    assert playbook_writes(tenant) == []

    bot = project.project / "bot.yaml"
    bot.write_text(bot.read_text().replace("expect: {intent: update_email}",
                                           "expect: {intent: order_status}"))
    failed = project("simulate", ".", "--output", "json")
    assert failed.returncode == 3, failed.stdout + failed.stderr
    assert "expected 'order_status', got 'update_email'" in failed.stdout
    assert [w[0] for w in playbook_writes(tenant)] == ["PATCH"]  # that case's steps only


def test_validate_refuses_what_a_playbook_cannot_check(project: Any) -> None:
    bot = project.project / "bot.yaml"
    bot.write_text(bot.read_text().replace(
        "expect: {intent: update_email}",
        "context: {channel: web}\n      expect: {intent: update_email, nextFlow: other}"))
    done = project("validate", ".")
    assert done.returncode == 1
    assert "a playbook cannot seed the context" in done.stdout + done.stderr
    assert "remove nextFlow" in done.stdout + done.stderr
    assert "bot.yaml:36:16:" in done.stdout  # at the case's context
    assert "bot.yaml:37:" in done.stdout


def test_session_vars_and_context_inject_with_the_user(project: Any, tenant: Tenant) -> None:
    config = ["--config", "cogctl.yaml"]
    shown = project("session", "vars", "sess_demo_1", *config)
    assert shown.returncode == 0, shown.stderr
    assert "customer_tier" in shown.stdout
    assert "session" in shown.stdout

    refused = project("context", "inject", "sess_demo_1", "tier=silver", *config)
    assert refused.returncode == 1
    assert "--user-id" in refused.stderr
    injected = project("context", "inject", "sess_demo_1", "tier=silver", "n=3",
                       "--user-id", "user-42", *config)
    assert injected.returncode == 0, injected.stderr
    assert "last writer wins" in injected.stdout
    state = tenant.api("GET", "/sessions/sess_demo_1/state")
    assert (state["context"]["tier"], state["context"]["n"]) == ("silver", 3)

    missing = project("session", "vars", "sess_nobody", *config)
    assert missing.returncode == 1
    assert "session 'sess_nobody' does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_export_writes_manifests_that_plan_to_zero_changes(
        project: Any, tenant: Tenant) -> None:
    (project.project / "bot.yaml").unlink()
    flow = "65f0c0ffee0000000000c001"
    tenant.api("POST", f"/flows/{flow}/slotfillers", {
        "name": "order_number", "type": "regex", "contextKey": "order_number",
        "regex": r"/(?:\bORD-\d{6}\b)|(?:\b\d{8}\b)/g"})
    tenant.api("POST", f"/flows/{flow}/slotfillers", {
        "name": "shouty", "type": "regex", "regex": "/abc/gm"})
    tenant.api("POST", f"/flows/{flow}/slotfillers", {
        "name": "any_case", "type": "regex", "contextKey": "any_case", "regex": "/tck-\\d{5}/gi"})
    exported = project("export", "--bot", "support", "--out", "exported")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "Slot/support/shouty: its regex has the flag(s) m" in exported.stderr
    out = project.project / "exported" / "support"
    assert sorted(p.name for p in out.iterdir()) == ["context.yaml", "slots.yaml"]
    [any_case] = [d for d in yaml.safe_load_all((out / "slots.yaml").read_text())
                  if d["metadata"]["name"] == "any_case"]
    assert any_case["spec"]["fillStrategy"] == "fuzzy"  # the i flag is what fuzzy means
    shutil.copytree(out, project.project / "support")
    shutil.rmtree(project.project / "exported")
    tenant.clear()
    planned = project("plan", ".", "--detailed-exitcode")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout
    assert tenant.writes() == []
