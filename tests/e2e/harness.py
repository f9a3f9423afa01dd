"""End-to-end harness: the CLI as a user runs it, against the emulator over real HTTP.

``tenant`` serves ``fixtures/tenant.yaml`` on 127.0.0.1 (an ephemeral port); ``cli`` runs
``python -m reconciler ...`` in a temporary working directory holding a copy of
``project/``, pointed at the server through ``COGNIGY_TENANT_URL`` and with a canary secret
in the environment, so every test can assert the canary never shows.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator.platform.serving import ServerHandle

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "tenant.yaml"
PROJECT = HERE / "project"
CANARY = "canary-5ecret-e2e-7f3a9c"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POSTs that change no state: a token request, a simulation run.
READ_ONLY_POSTS = ("/oauth/token", "/api/bot/simulate")

@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Cli:
    """Runs cogctl in ``workdir`` against ``tenant``; also drives the emulator's admin API."""

    def __init__(self, workdir: Path, tenant: ServerHandle) -> None:
        self.workdir = workdir
        self.project = workdir / "project"
        self.url = tenant.url
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))},
            "COGNIGY_TENANT_URL": tenant.url,
            "COGNIGY_CLIENT_ID": "e2e-client",
            "COGNIGY_CLIENT_SECRET": "e2e-client-secret",
            "COGCTL_STATE_DIR": str(workdir / ".cogctl"),
            "E2E_CRM_TOKEN": CANARY,
            "NO_COLOR": "1",
        }

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, terminal_input: str | None = None
    ) -> Result:
        """Run cogctl; with ``terminal_input``, stdin is a terminal that types it."""
        stdin: int | None = None
        if terminal_input is not None:
            primary, stdin = pty.openpty()
            os.write(primary, terminal_input.encode())
        try:
            done = subprocess.run(
                [sys.executable, "-m", "reconciler", *args],
                cwd=self.workdir,
                env={**self.env, **(env or {})},
                stdin=stdin,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        finally:
            if terminal_input is not None and stdin is not None:
                os.close(stdin)
                os.close(primary)
        assert "Traceback" not in done.stderr, done.stderr
        return Result(done.returncode, done.stdout, done.stderr)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/_emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict[str, Any]]:
        log = self.admin("GET", "requests")
        return list(log["requests"] if isinstance(log, dict) else log)

    def clear_requests(self) -> None:
        self.admin("DELETE", "requests")

    def writes(self) -> list[dict[str, Any]]:
        return [
            r for r in self.requests()
            if r["method"] in WRITE_METHODS and not r["path"].endswith(READ_ONLY_POSTS)
        ]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the Platform API as another tool would (an edit made outside cogctl)."""
        token = httpx.post(
            f"{self.url}/api/v1/auth/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.env["COGNIGY_CLIENT_ID"],
                "client_secret": self.env["COGNIGY_CLIENT_SECRET"],
                "scope": "cognigy:platform:read cognigy:slots:write cognigy:integrations:write",
            },
            timeout=10,
        ).json()["access_token"]
        response = httpx.request(
            method, f"{self.url}{path}", json=body, timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def live_slot(self, name: str) -> dict[str, Any]:
        page = self.api("GET", "/api/v1/slots?botId=bot_support&limit=100")
        for slot in page["data"]:
            if slot["name"] == name:
                return dict(slot)
        raise AssertionError(f"no live slot {name}")

    def admin_put_slot(self, slot: dict[str, Any], **changes: Any) -> None:
        """Write a slot the way someone in the Cognigy UI would: no If-Match, labels kept."""
        body = {
            "botId": slot["botId"],
            "name": slot["name"],
            "type": slot.get("type", "regex"),
            "patterns": slot.get("patterns", []),
            "fillStrategy": slot.get("fillStrategy", "firstMatch"),
            "dependencies": slot.get("dependencies", []),
            "labels": slot.get("labels", {}),
            "triggerRetrain": False,
            **changes,
        }
        self.api("PUT", f"/api/v1/slots/{slot['slotId']}", body)
