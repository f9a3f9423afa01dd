"""kill -9 in the middle of an apply on api cognigy-ai: the next run converges, nothing is
created twice, and the audit chain still verifies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.test_cognigy_ai import FLOW, KEY, TENANT, Tenant

from reconciler.emulator.cognigy_ai import TenantState, create_app
from reconciler.emulator.platform import serving

pytestmark = pytest.mark.slow

SLOTS = 12


@pytest.fixture
def slow_tenant() -> Iterator[Tenant]:
    state = TenantState.from_fixture(TENANT)
    state.settings.latencyMs = 150  # every answer takes a while: the kill lands mid-apply
    with serving.serve_in_thread(create_app(state)) as handle:
        yield Tenant(handle.url)


def _project(folder: Path, url: str) -> None:
    (folder / "cogctl.yaml").write_text(
        "environments:\n  ai:\n    api: cognigy-ai\n"
        f"    baseUrl: {url}\n"
        "    bots:\n      support: {project: Customer Support, flow: Main, locale: en-US}\n")
    docs = [f"apiVersion: cogctl/v1\nkind: Slot\nmetadata: {{name: k{n:02d}, bot: support}}\n"
            f"spec:\n  patterns: ['\\bK{n:02d}-\\d{{4}}\\b']\n  fillStrategy: firstMatch\n" for n in range(SLOTS)]
    (folder / "bot.yaml").write_text("---\n".join(docs))


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))}
    env.update(COGNIGY_API_KEY=KEY, COGCTL_STATE_DIR=str(folder / ".cogctl"), NO_COLOR="1")
    return env


def _cogctl(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=folder,
                          env=_env(folder), capture_output=True, text=True, timeout=300,
                          check=False)


def _writes_done(log: Path) -> int:
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines()
               if line.endswith("}") and json.loads(line)["event"] == "apply.write")


def test_kill_9_mid_apply_then_a_rerun_converges_and_the_chain_verifies(
        tmp_path: Path, slow_tenant: Tenant) -> None:
    _project(tmp_path, slow_tenant.url)
    audit = tmp_path / ".cogctl" / "audit.jsonl"
    apply = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", ".", "--auto-approve", "--no-verify"],
        cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _writes_done(audit) < 3 and apply.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a file another process writes, against a deadline
    assert apply.poll() is None, "apply finished before it could be killed"
    apply.send_signal(signal.SIGKILL)
    apply.wait(timeout=30)
    done_before = _writes_done(audit)
    assert 3 <= done_before < SLOTS

    again = _cogctl(tmp_path, "apply", ".", "--auto-approve", "--no-verify")
    assert again.returncode == 0, again.stdout + again.stderr
    slow_tenant.clear()
    plan = _cogctl(tmp_path, "plan", ".", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout
    assert slow_tenant.writes() == []

    fillers = [f["name"] for f in slow_tenant.api("GET", f"/flows/{FLOW}/slotfillers")["items"]]
    ours = [name for name in fillers if name.startswith("k")]
    assert sorted(ours) == [f"k{n:02d}" for n in range(SLOTS)]  # each once: no duplicate
    verified = _cogctl(tmp_path, "audit", "verify", str(audit))
    assert verified.returncode == 0, verified.stdout + verified.stderr
