"""SIGTERM and a failing audit log in the middle of an apply against the embedded emulator.

The CLI runs as a user runs it (a subprocess) on a project of many slots with a client-side
rate limit, so the apply takes seconds; the test waits (polling the audit log against a
deadline) until writes are under way, then acts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .harness import FIXTURE

SLOTS = 90
pytestmark = pytest.mark.slow


def _project(tmp_path: Path) -> dict[str, str]:
    project = tmp_path / "project"
    (project / "fixtures").mkdir(parents=True)
    shutil.copy(FIXTURE, project / "fixtures" / "tenant.yaml")
    (project / "cogctl.yaml").write_text(
        "environments:\n  local:\n    emulator: {fixture: fixtures/tenant.yaml}\n"
        "    bots: {support: bot_support}\n    rateLimitPerMinute: 300\n")
    (project / "slots.yaml").write_text("---\n".join(
        f"apiVersion: cogctl/v1\nkind: Slot\nmetadata: {{name: s{i:03d}, bot: support}}\n"
        f"spec: {{patterns: ['S{i:03d}-\\d+']}}\n" for i in range(SLOTS)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))}
    env.update(COGCTL_STATE_DIR=str(tmp_path / ".cogctl"), NO_COLOR="1")
    return env


def _start(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _turn_into_a_directory(audit: Path, kept: Path) -> None:
    """Move the log aside and put a directory in its place. The running apply may append (and
    so re-create the file) in between: those entries join the kept log, and we try again."""
    os.rename(audit, kept)
    for _ in range(1000):
        try:
            audit.mkdir()
            return
        except FileExistsError:
            with kept.open("a", encoding="utf-8") as log:
                log.write(audit.read_text(encoding="utf-8"))
            audit.unlink()
    raise AssertionError("the audit log kept coming back")


def _entries(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _wait_for_writes(audit: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if sum(e["event"] == "apply.write" for e in _entries(audit)) >= count:
            return
        time.sleep(0.02)  # polling a file the subprocess writes, against a deadline
    raise AssertionError(f"apply did not reach {count} writes: {process.poll()}")


def _state_slots(tmp_path: Path) -> set[str]:
    state = json.loads((tmp_path / ".cogctl" / "local-tenant.json").read_text())
    return {s["name"] for s in state["slots"].values()}


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


def test_sigterm_stops_cleanly_saves_the_state_and_says_what_was_done(tmp_path: Path) -> None:
    env = _project(tmp_path)
    audit = tmp_path / ".cogctl" / "audit.jsonl"
    apply = _start(tmp_path, env, "apply", "project", "--auto-approve", "--no-verify")
    _wait_for_writes(audit, 40, apply)
    apply.send_signal(signal.SIGTERM)
    _out, err = apply.communicate(timeout=60)
    assert apply.returncode == 143, err
    assert "Traceback" not in err
    assert "terminated (SIGTERM)" in err
    assert "stopped cleanly" in err
    assert "embedded emulator state" in err
    assert "saved" in err
    written = {e["fields"]["address"].rsplit("/", 1)[1] for e in _entries(audit)
               if e["event"] == "apply.write" and e["fields"]["outcome"] == "applied"}
    assert len(written) >= 40
    assert written <= _state_slots(tmp_path)  # every audited write exists in the saved state
    # the next apply finishes the job, and then nothing is left to do
    again = _run(tmp_path, env, "apply", "project", "--auto-approve", "--no-verify")
    assert again.returncode == 0, again.stderr
    assert {f"s{i:03d}" for i in range(SLOTS)} <= _state_slots(tmp_path)
    plan = _run(tmp_path, env, "plan", "project", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_an_audit_log_that_fails_mid_apply_stops_it_before_the_next_write(tmp_path: Path) -> None:
    env = _project(tmp_path)
    audit = tmp_path / ".cogctl" / "audit.jsonl"
    apply = _start(tmp_path, env, "apply", "project", "--auto-approve", "--no-verify")
    _wait_for_writes(audit, 40, apply)
    kept = tmp_path / "audit-before.jsonl"
    try:
        _turn_into_a_directory(audit, kept)  # every append fails from now on
        _out, err = apply.communicate(timeout=60)
    finally:
        if apply.poll() is None:
            apply.kill()
            apply.communicate()
    assert apply.returncode == 1, err
    assert "Traceback" not in err
    assert "audit log" in err
    assert "apply incomplete" in err
    intents = {e["fields"]["address"].rsplit("/", 1)[1] for e in _entries(kept)
               if e["event"] == "apply.write.intent"}
    created = _state_slots(tmp_path)
    assert created <= intents  # no write reached the tenant without its intent on record
    assert len(created) < SLOTS
