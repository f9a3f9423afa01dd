"""The composite action's shell steps, run locally as a runner would run them.

Each ``run:`` script of ``.github/actions/cogctl/action.yml`` is extracted with PyYAML and
run with bash under a fake ``GITHUB_*`` environment (summary and output files in tmp),
against the emulator over real HTTP and a fake GitHub API over real HTTP. ``uses:`` steps
and the ``pip install`` step are skipped: the package is installed already.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fakegithub import TOKEN, FakeGitHub

from reconciler.emulator.platform import TenantState, create_app, serving
from reconciler.github import planstamps, publishing

ROOT = Path(__file__).resolve().parents[2]
ACTION_DIR = ROOT / ".github" / "actions" / "cogctl"
ACTION = yaml.safe_load((ACTION_DIR / "action.yml").read_text(encoding="utf-8"))
CANARY = "canary-5ecret-action-51d2"
MERGE_SHA = "feedfacecafebeef0000000000000000deadbeef"
CLIENT = ("demo-client", "demo-client-secret")
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class StepsRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


@dataclass
class Runner:
    """A fake runner: one workspace, one fake GitHub, one emulated tenant."""

    workdir: Path
    github: FakeGitHub
    tenant_url: str

    def env(self, event: dict[str, Any], **extra: str) -> dict[str, str]:
        event_path = self.workdir / "event.json"
        event_path.write_text(json.dumps(event))
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("GITHUB_", "COGNIGY_", "COGCTL_", "RUNNER_"))}
        return {
            **keep,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GITHUB_API_URL": self.github.api_url, "GITHUB_REPOSITORY": "octo/bots",
            "GITHUB_EVENT_PATH": str(event_path), "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_RUN_ID": "99", "GITHUB_ACTION_PATH": str(ACTION_DIR),
            "RUNNER_TEMP": str(self.workdir / "runner-temp"),
            "COGNIGY_TENANT_URL": self.tenant_url,
            "COGNIGY_CLIENT_ID": CLIENT[0], "COGNIGY_CLIENT_SECRET": CLIENT[1],
            "COGCTL_STATE_DIR": str(self.workdir / ".cogctl"),
            "CRM_API_TOKEN": CANARY,
            **extra,
        }

    def action(self, event: dict[str, Any], **inputs: str) -> StepsRun:
        values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        values.update({"secret-env": "CRM_API_TOKEN", "prune": "true", **inputs})
        base = self.env(event, GITHUB_SHA=MERGE_SHA)
        summary = self.workdir / "step-summary.md"
        summary.write_text("")
        outputs: dict[str, str] = {}
        stdout = stderr = ""
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "uses" in step or step.get("id") == "install":
                continue
            output_file = self.workdir / f"output-{index}"
            output_file.write_text("")
            script = self.workdir / f"step-{index}.sh"
            script.write_text(step["run"])
            step_env = {k: _resolve(str(v), values) for k, v in step.get("env", {}).items()}
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                env={**base, **step_env, "GITHUB_OUTPUT": str(output_file),
                     "GITHUB_STEP_SUMMARY": str(summary)},
                cwd=self.workdir, capture_output=True, text=True, timeout=300, check=False,
            )
            stdout += done.stdout
            stderr += done.stderr
            outputs.update(_outputs(output_file.read_text()))
            if done.returncode != 0:
                return StepsRun(done.returncode, stdout, stderr, outputs, summary.read_text())
        return StepsRun(0, stdout, stderr, outputs, summary.read_text())

    def cogctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args], env=self.env({}), cwd=self.workdir,
            capture_output=True, text=True, timeout=300, check=False,
        )

    def tenant(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.tenant_url}{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def writes(self) -> list[str]:
        log = self.tenant("GET", "/_emulator/requests")
        entries = log["requests"] if isinstance(log, dict) else log
        return [f"{e['method']} {e['path']}" for e in entries
                if e["method"] in WRITES and not e["path"].endswith("/oauth/token")]

    def edit_slot_outside(self, name: str) -> None:
        """What someone in the Cognigy UI would do: change a slot's patterns."""
        token = httpx.post(f"{self.tenant_url}/api/v1/auth/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": CLIENT[0],
            "client_secret": CLIENT[1], "scope": "cognigy:platform:read cognigy:slots:write",
        }).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = httpx.get(f"{self.tenant_url}/api/v1/slots?botId=bot_support&limit=100",
                         headers=headers, timeout=10).json()
        slot = next(s for s in page["data"] if s["name"] == name)
        body = {key: slot[key] for key in ("botId", "name", "type", "fillStrategy",
                                           "dependencies", "labels") if key in slot}
        body.update(patterns=[*slot["patterns"], "EDITED-IN-UI"], triggerRetrain=False)
        httpx.put(f"{self.tenant_url}/api/v1/slots/{slot['slotId']}", json=body,
                  headers=headers, timeout=10).raise_for_status()


def _resolve(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match[1]
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression == "github.token":
            return TOKEN
        raise AssertionError(f"the test runner does not know the expression {expression!r}")

    return _EXPRESSION.sub(one, value)


def _outputs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    fixture = yaml.safe_load((ROOT / "manifests" / "fixtures" / "demo-tenant.yaml").read_text())
    fixture["settings"].update(trainingSeconds=0.2, simulationSeconds=0.05)
    fixture_path = tmp_path / "tenant.yaml"
    fixture_path.write_text(yaml.safe_dump(fixture))
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    fake = FakeGitHub()
    fake.add_pull(7)
    app = create_app(TenantState.from_fixture(fixture_path))
    with serving.serve_in_thread(fake.asgi()) as gh, serving.serve_in_thread(app) as tenant:
        fake.link_base = fake.api_url = gh.url
        yield Runner(tmp_path, fake, tenant.url)


PR_EVENT = {"number": 7, "pull_request": {"number": 7}}
PUSH_EVENT = {"ref": "refs/heads/main", "after": MERGE_SHA}


def _merge(fake: FakeGitHub) -> None:
    fake.issues[7].update(merged_at="2026-01-01T00:00:00Z", merge_commit_sha=MERGE_SHA)
    fake.commit_pulls[MERGE_SHA] = [7]


def _plan_comment(fake: FakeGitHub) -> str:
    marker = publishing.marker_comment("cogctl-plan:local")
    [comment] = [c for c in fake.comments_on(7) if c["body"].startswith(marker)]
    return str(comment["body"])


@pytest.mark.e2e
def test_plan_comment_then_reviewed_apply_converges_and_unreviewed_is_refused(runner: Runner) -> None:
    planned = runner.action(PR_EVENT, command="plan", env="local")
    assert planned.code == 0, planned.stderr
    assert planned.outputs["changes"] == "true"
    assert planned.outputs["exit-code"] == "2"
    body = _plan_comment(runner.github)
    stamp = planstamps.find_stamp(body, "local")
    assert stamp is not None
    assert stamp.create > 0
    assert "### cogctl plan for `local`" in planned.summary
    assert runner.writes() == []

    again = runner.action(PR_EVENT, command="plan", env="local")
    assert again.code == 0, again.stderr
    assert "comment unchanged on pull request #7" in again.stdout
    assert len(runner.github.comments_on(7)) == 1

    _merge(runner.github)
    applied = runner.action(PUSH_EVENT, command="apply", env="local")
    assert applied.code == 0, applied.stderr
    assert "matches the one reviewed on #7" in applied.stdout
    assert "cogctl apply `local`: exit 0" in applied.summary
    out_dir = Path(applied.outputs["out-dir"])
    assert (out_dir / "audit.jsonl").read_text().strip()
    assert runner.writes()

    runner.tenant("DELETE", "/_emulator/requests")
    converged = runner.action(PUSH_EVENT, command="apply", env="local")
    assert converged.code == 0, converged.stderr
    assert converged.outputs["changes"] == "false"
    assert runner.writes() == []

    # The runner swallows ``::add-mask::`` commands; every other line is shown to readers.
    assert f"::add-mask::{CANARY}" in planned.stdout
    texts = [planned.stdout, planned.stderr, planned.summary, applied.stdout, applied.stderr,
             applied.summary, body, *(p.read_text() for p in out_dir.iterdir())]
    shown = [line for text in texts for line in text.splitlines()
             if not line.startswith("::add-mask::")]
    assert not [line for line in shown if CANARY in line]

    # A change that reached main without the reviewed plan showing it is refused.
    slots = runner.workdir / "manifests" / "support" / "slots.yaml"
    slots.write_text(slots.read_text().replace("fillStrategy: firstMatch",
                                               "fillStrategy: bestMatch", 1))
    refused = runner.action(PUSH_EVENT, command="apply", env="local")
    assert refused.code == 1
    assert "refusing to apply local: the plan differs from the one reviewed on #7" in (
        refused.stderr)
    assert runner.writes() == []


@pytest.mark.e2e
def test_drift_opens_an_issue_and_closes_it_when_gone(runner: Runner) -> None:
    applied = runner.cogctl("apply", "manifests", "--env", "local", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    runner.edit_slot_outside("order_number")

    found = runner.action({}, command="drift", env="local")
    assert found.code == 0, found.stderr
    assert found.outputs["changes"] == "true"
    issues = [i for i in runner.github.issues.values() if "pull_request" not in i]
    assert len(issues) == 1
    assert issues[0]["state"] == "open"
    assert "Slot/support/order_number" in issues[0]["body"]

    fixed = runner.cogctl("apply", "manifests", "--env", "local", "--auto-approve")
    assert fixed.returncode == 0, fixed.stderr
    gone = runner.action({}, command="drift", env="local")
    assert gone.code == 0, gone.stderr
    assert gone.outputs["changes"] == "false"
    assert issues[0]["state"] == "closed"


def test_unknown_command_fails_clearly(runner: Runner) -> None:
    result = runner.action(PR_EVENT, command="destroy", env="local")
    assert result.code == 1
    assert "::error::command must be plan, apply or drift, not 'destroy'" in result.stdout


def test_a_plan_that_cannot_run_still_comments_and_fails(runner: Runner) -> None:
    slots = runner.workdir / "manifests" / "support" / "slots.yaml"
    slots.write_text(slots.read_text().replace("fillStrategy: firstMatch",
                                               "fillStrategy: sometimes", 1))
    failed = runner.action(PR_EVENT, command="plan", env="local")
    assert failed.code == 1
    body = _plan_comment(runner.github)
    assert "### cogctl plan for `local` failed" in body
    assert "slots.yaml" in body
    assert "https://github.test/octo/bots/actions/runs/99" in body
    assert runner.writes() == []
