"""A fake GitHub Actions runner for the composite action ``.github/actions/cogctl``.

Each ``run:`` script of ``action.yml`` is extracted with PyYAML and run with bash under a fake
``GITHUB_*`` environment (summary and output files in tmp), against the emulator over real
HTTP (uvicorn) and a fake GitHub API over real HTTP. ``uses:`` steps and the install step are
skipped: the package is installed already.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from fakegithub import TOKEN, FakeGitHub

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
            "GITHUB_REF_NAME": "main",
            "RUNNER_TEMP": str(self.workdir / "runner-temp"),
            "COGNIGY_TENANT_URL": self.tenant_url,
            "COGNIGY_CLIENT_ID": CLIENT[0], "COGNIGY_CLIENT_SECRET": CLIENT[1],
            "COGCTL_STATE_DIR": str(self.workdir / ".cogctl"),
            "CRM_API_TOKEN": CANARY,
            **extra,
        }

    def action(self, event: dict[str, Any], *, sha: str = MERGE_SHA, **inputs: str) -> StepsRun:
        values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        values.update({"secret-env": "CRM_API_TOKEN", "prune": "true", **inputs})
        base = self.env(event, GITHUB_SHA=sha)
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

    def edit_slot_outside(self, name: str, bot: str = "bot_support") -> None:
        """What someone in the Cognigy UI would do: change a slot's patterns."""
        token = httpx.post(f"{self.tenant_url}/api/v1/auth/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "client_id": CLIENT[0],
            "client_secret": CLIENT[1], "scope": "cognigy:platform:read cognigy:slots:write",
        }).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        page = httpx.get(f"{self.tenant_url}/api/v1/slots?botId={bot}&limit=100",
                         headers=headers, timeout=10).json()
        slot = next(s for s in page["data"] if s["name"] == name)
        body = {key: slot[key] for key in ("botId", "name", "type", "fillStrategy",
                                           "dependencies", "labels") if key in slot}
        body.update(patterns=[*slot["patterns"], "EDITED-IN-UI"], triggerRetrain=False)
        httpx.put(f"{self.tenant_url}/api/v1/slots/{slot['slotId']}", json=body,
                  headers=headers, timeout=10).raise_for_status()


def _resolve(value: str, inputs: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        for expression in (part.strip() for part in match[1].split("||")):
            if expression.startswith("inputs."):
                value = inputs[expression.removeprefix("inputs.")]
            elif expression == "github.token":
                value = TOKEN
            else:
                raise AssertionError(f"the test runner does not know {expression!r}")
            if value:
                return value
        return ""

    return _EXPRESSION.sub(one, value)


def _outputs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
