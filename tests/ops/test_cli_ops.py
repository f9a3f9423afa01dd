"""The operational commands as a user runs them, against the emulator over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fakes
import httpx
import pytest
import xmlschema

from reconciler.emulator.platform import TenantState, create_app, serve_in_thread

from . import tls_service
from .conftest import FIXTURE

pytestmark = pytest.mark.e2e

XSD = Path(__file__).parent / "data" / "JUnit.xsd"
HOOK_SECRET = "whsec_" + "c2VjcmV0LWZvci1vcHMtdGVzdHMtMTIzNDU2Nzg="
STATE_WRITES = ("PUT", "PATCH", "DELETE")

SUITES = """\
apiVersion: cogctl/v1
kind: SimulationSuite
metadata: {name: smoke, bot: bot_ops}
spec:
  expectedFlows: [flow_orders, flow_greeting]
  minPassRate: 1.0
  cases:
    - id: test_order
      userId: usr_ann
      utterance: where is my order ORD-123456
      expect: {intent: order_status, nextFlow: flow_orders, entities: {order_number: ORD-123456}}
    - id: test_hello
      userId: usr_bob
      utterance: hello there
      expect: {intent: greeting, responseContains: how can i help}
---
apiVersion: cogctl/v1
kind: SimulationSuite
metadata: {name: broken, bot: bot_ops}
spec:
  expectedFlows: [flow_orders, flow_returns]
  minPassRate: 0.9
  cases:
    - id: test_ok
      userId: usr_ann
      utterance: track my order
      expect: {intent: order_status}
    - id: test_wrong
      userId: usr_ann
      utterance: hello there
      expect: {intent: order_status}
    - id: test_handover
      userId: usr_ann
      utterance: talk to a human
      expect: {intent: human_handover}
    - id: test_unknown_entity
      userId: usr_ann
      utterance: where is my order
      expect: {entities: {tracking_code: X1}}
"""


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


Hook = fakes.WebhookReceiver


class Ops:
    def __init__(self, workdir: Path, url: str, hook_url: str) -> None:
        self.workdir, self.url = workdir, url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))},
            "COGNIGY_TENANT_URL": url, "COGNIGY_CLIENT_ID": "ops-client",
            "COGNIGY_CLIENT_SECRET": "ops-secret", "COGCTL_STATE_DIR": str(workdir / ".cogctl"),
            "COGCTL_WEBHOOK_URL": hook_url, "COGCTL_WEBHOOK_SECRET": HOOK_SECRET,
            "NO_COLOR": "1",
        }

    def __call__(self, *args: str, stdin: str | None = None, **env: str) -> Done:
        done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=self.workdir,
                              env={**self.env, **env}, input=stdin, capture_output=True,
                              text=True, timeout=120, check=False)
        assert "Traceback" not in done.stderr, done.stderr
        return Done(done.returncode, done.stdout, done.stderr)

    def requests(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/_emulator/requests", timeout=10)
        data = answer.json()
        return list(data["requests"] if isinstance(data, dict) else data)

    def clear(self) -> None:
        httpx.delete(f"{self.url}/_emulator/requests", timeout=10).raise_for_status()

    def state_writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests() if r["method"] in STATE_WRITES]

    def audit(self) -> list[dict[str, Any]]:
        path = self.workdir / ".cogctl" / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    with fakes.serving_receiver() as served:
        yield served


@pytest.fixture
def ops(tmp_path: Path, hook: tuple[Hook, str]) -> Iterator[Ops]:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "suites.yaml").write_text(SUITES)
    with serve_in_thread(create_app(TenantState.from_fixture(FIXTURE))) as server:
        yield Ops(tmp_path, server.url, hook[1])


def test_simulate_passes_reports_coverage_junit_audit_and_webhook(
        ops: Ops, hook: tuple[Hook, str]) -> None:
    done = ops("simulate", "--suite", "smoke", "--junit", "reports/junit.xml")
    assert done.code == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("target: tenant http://127.0.0.1:")
    assert "SimulationSuite/bot_ops/smoke (bot bot_ops): PASSED, pass rate 100.0%" in done.stdout
    assert "coverage: 2/2 expected flows reached (100%)" in done.stdout
    assert "hits per flow: flow_greeting 1, flow_orders 1" in done.stdout
    junit = ops.workdir / "reports" / "junit.xml"
    xmlschema.XMLSchema(XSD).validate(str(junit))
    assert 'tests="2" failures="0" errors="0"' in junit.read_text()
    (entry,) = [e for e in ops.audit() if e["event"] == "simulate"]
    assert entry["fields"]["passed"] is True
    assert entry["fields"]["suites"][0]["suite"] == "SimulationSuite/bot_ops/smoke"
    (event,) = hook[0].verified(HOOK_SECRET)
    assert event["type"] == "simulation.batch"
    assert event["data"]["suites"][0]["passRate"] == 1.0
    # Simulating writes nothing: the only POSTs are the token and the simulations.
    assert ops.state_writes() == []
    posts = {r["path"] for r in ops.requests() if r["method"] == "POST"}
    assert posts == {"/api/v1/auth/oauth/token", "/api/bot/simulate"}


def test_simulate_below_min_pass_rate_exits_3_with_reasons(ops: Ops) -> None:
    done = ops("simulate", "--suite", "broken", "--output", "json", "--junit", "j.xml")
    assert done.code == 3
    data = json.loads(done.stdout)
    assert data["passed"] is False
    (report,) = data["reports"]
    statuses = {c["id"]: c["status"] for c in report["cases"]}
    assert statuses == {"test_ok": "passed", "test_wrong": "failed",
                        "test_handover": "misconfigured", "test_unknown_entity": "misconfigured"}
    assert report["passRate"] == 0.25
    assert report["coverage"]["missing"] == ["flow_returns"]
    codes = sorted(m["code"] for m in report["misconfigurations"])
    assert codes == ["FLOW_NOT_DEPLOYED", "UNKNOWN_ENTITY"]
    xmlschema.XMLSchema(XSD).validate(str(ops.workdir / "j.xml"))


def test_simulate_unknown_suite_is_one_clear_line(ops: Ops) -> None:
    done = ops("simulate", "--suite", "nope")
    assert done.code == 1
    assert done.stderr.strip() == "error: no SimulationSuite named nope (known: broken, smoke)"
    assert ops.requests() == []  # nothing was asked of the tenant


def test_session_vars_text_json_and_webhook(ops: Ops, hook: tuple[Hook, str]) -> None:
    done = ops("session", "vars", "sess_1", "--name", "lang")
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("session sess_1: 1 variable (")
    assert lines[1].split() == ["NAME", "VALUE", "TYPE", "SCOPE", "SHADOWED"]
    assert lines[2].split() == ["language", '"fr"', "string", "session", 'user="de",',
                                'global="en"']
    done = ops("session", "vars", "sess_1", "--include-system", "--output", "json",
               "--webhook")
    assert done.code == 0, done.stderr
    data = json.loads(done.stdout)
    by_name = {v["name"]: v for v in data["variables"]}
    assert by_name["_channel"]["system"] is True
    assert by_name["retries"] == {"name": "retries", "value": 3, "type": "integer",
                                  "scope": "session", "system": False, "shadowed": []}
    assert data["webhook"]["delivered"] is True
    assert data["webhook"]["latencyMs"] > 0
    assert "webhook: delivered in" in done.stderr
    (event,) = hook[0].verified(HOOK_SECRET)
    assert event["type"] == "session.variables"
    assert {v["name"] for v in event["data"]["variables"]} == set(by_name)
    assert ops.state_writes() == []


def test_session_vars_unknown_session_exits_1(ops: Ops) -> None:
    done = ops("session", "vars", "sess_nope")
    assert done.code == 1
    assert done.stderr.splitlines()[-1].startswith("error: Platform API GET /api/v2/botsessions/sess_nope")
    ops.clear()
    no_hook = ops("session", "vars", "sess_1", "--webhook", COGCTL_WEBHOOK_URL="")
    assert no_hook.code == 1
    assert no_hook.stderr.strip() == ("error: --webhook needs COGCTL_WEBHOOK_URL "
                                      "(set it and COGCTL_WEBHOOK_SECRET)")
    assert ops.requests() == []


def test_context_inject_then_render(ops: Ops) -> None:
    done = ops("context", "inject", "conv_1", "order={\"id\": 7}", "tier=gold", "--scope",
               "user")
    assert done.code == 0, done.stderr
    assert done.stdout.startswith("conversation conv_1: set order, tier (scope user); "
                                  "contextVersion ")
    assert done.stdout.rstrip().endswith("after 1 attempt")
    (patch,) = ops.state_writes()
    assert (patch["method"], patch["path"], patch["status"]) == ("PATCH", "/api/v1/context", 200)
    ops.clear()
    template = ops.workdir / "greeting.txt"
    template.write_text("{{greeting}} {{customer}}, order {{order.id}} ({{tier}}), "
                        "{{company}}, {{language}}. {{nope}}\n")
    done = ops("context", "render", "greeting.txt", "--conversation", "conv_1", "--bot",
               "bot_ops", "--session", "sess_1")
    assert done.code == 0, done.stderr
    assert done.stdout == "Hi Ann, order 7 (gold), Example Corp, fr. {{nope}}\n"
    assert "unknown placeholders left as written: nope" in done.stderr
    assert ops.state_writes() == []
    (audited,) = [e for e in ops.audit() if e["event"] == "context.inject"]
    assert audited["fields"]["keys"] == ["order", "tier"]
    assert "gold" not in json.dumps(audited)  # keys and versions only, never the values
    strict = ops("context", "render", "{{nope}}", "--inline", "--conversation", "conv_1",
                 "--strict")
    assert strict.code == 1


def test_context_inject_refuses_bad_input_before_any_request(ops: Ops) -> None:
    done = ops("context", "inject", "conv_1", "bad-key=1", "big=" + "x" * 11_000)
    assert done.code == 1
    assert "'bad-key': a key is letters, digits and _ only" in done.stderr
    assert ops.requests() == []
    done = ops("context", "inject", "conv_1", "big=" + "x" * 11_000)
    assert done.code == 1
    assert "the limit is 10240" in done.stderr
    assert ops.requests() == []


def test_simulate_twice_converges_to_no_writes(ops: Ops) -> None:
    assert ops("simulate", "--suite", "smoke").code == 0
    ops.clear()
    assert ops("simulate", "--suite", "smoke").code == 0
    assert ops.state_writes() == []


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tls_service.Service]:
    with tls_service.serving(tmp_path_factory.mktemp("tls-cli")) as service:
        yield service


def test_integration_probe_cli(ops: Ops, tls: tls_service.Service) -> None:
    (ops.workdir / "manifests" / "crm.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: cogctl/v1
        kind: Integration
        metadata: {{name: crm_lookup, bot: bot_ops}}
        spec:
          url: {tls.url}/v1/customers
          method: GET
          auth: {{type: bearer, secret: {{fromEnv: OPS_CRM_TOKEN}}}}
          requestMapping: {{query: {{email: '{{{{slots.email}}}}'}}}}
          responseMapping: {{extract: 'data[0].{{name: name, tier: tier}}', normalize: flatten}}
          timeoutSeconds: 5
          probe:
            payload: {{email: ann@example.com}}
            expect: {{status: 200, keys: [name, tier]}}
        """))
    env = {"OPS_CRM_TOKEN": "canary-crm-token-91x"}
    done = ops("integration", "probe", "crm_lookup", "--allow-private", "--ca-bundle",
               str(tls.cert), **env)
    assert done.code == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == (
        f"probe Integration/bot_ops/crm_lookup: GET {tls.url}/v1/customers"
        "?email=ann%40example.com")
    assert "connected to 127.0.0.1: status 200 in" in done.stdout
    assert '"name": "Ann Lee"' in done.stdout
    assert "canary-crm-token-91x" not in done.stdout + done.stderr
    assert tls.seen[-1]["headers"]["authorization"] == "Bearer canary-crm-token-91x"
    refused = ops("integration", "probe", "crm_lookup", "--ca-bundle", str(tls.cert), **env)
    assert refused.code == 1
    assert "refusing to connect to 'localhost': it resolves to" in refused.stderr
    assert "--allow-private" in refused.stderr
    missing = ops("integration", "probe", "nope")
    assert missing.code == 1
    assert "no Integration named 'nope'" in missing.stderr
