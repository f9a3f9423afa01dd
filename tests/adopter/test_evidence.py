"""Every audit entry says who ran the command, on which commit, in which CI run, with which
cogctl; outside CI the local user."""

from __future__ import annotations

import getpass
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from reconciler import __version__
from reconciler.records import provenance

from .helpers import clean_env, cogctl

CI = {"GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123abcd", "GITHUB_SERVER_URL":
      "https://github.com", "GITHUB_REPOSITORY": "acme/bots", "GITHUB_RUN_ID": "42"}


def test_provenance_in_ci_and_locally() -> None:
    assert provenance.provenance({**CI, "GITHUB_RUN_ATTEMPT": "2"}) == {
        "actor": "octocat", "commit": "0123abcd",
        "run_url": "https://github.com/acme/bots/actions/runs/42/attempts/2",
        "cogctl_version": __version__}
    local = provenance.provenance({})
    assert local["actor"] == getpass.getuser()
    assert local["commit"] is None
    assert local["run_url"] is None


def test_audit_entries_carry_actor_commit_run_and_version(tmp_path: Path) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    env = clean_env(CRM_API_TOKEN="t", **CI)
    assert cogctl(project, "apply", "--auto-approve", env=env).returncode == 0
    entries = [json.loads(line) for line in
               (project / ".cogctl/audit.jsonl").read_text().splitlines()]
    assert {e["event"] for e in entries} >= {"apply.started", "apply.write", "apply.completed"}
    for entry in entries:
        fields = entry["fields"]
        assert fields["actor"] == "octocat"
        assert fields["commit"] == "0123abcd"
        assert fields["run_url"] == "https://github.com/acme/bots/actions/runs/42"
        assert fields["cogctl_version"] == __version__
    assert cogctl(project, "audit", "verify", ".cogctl/audit.jsonl").returncode == 0


def _gauges(path: Path) -> dict[tuple[str, str], float]:
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            if sample.name.startswith("cogctl_drift_"):
                found[(sample.name, sample.labels["environment"])] = sample.value
    return found


def test_drift_metrics_carry_a_gauge_per_environment_the_time_and_the_exit_code(
    tmp_path: Path,
) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    env = clean_env(CRM_API_TOKEN="t")
    metrics_file = project / "drift.prom"
    before = time.time()
    drifted = cogctl(project, "drift", "--metrics-file", str(metrics_file), env=env)
    assert drifted.returncode == 2, drifted.stderr
    gauges = _gauges(metrics_file)
    stamp = gauges.pop(("cogctl_drift_last_run_timestamp_seconds", "local"))
    assert before <= stamp <= time.time()
    assert gauges == {("cogctl_drift_detected", "local"): 1.0,
                      ("cogctl_drift_objects", "local"): 4.0,
                      ("cogctl_drift_exit_code", "local"): 2.0}

    assert cogctl(project, "apply", "--auto-approve", env=env).returncode == 0
    clean = cogctl(project, "drift", "--metrics-file", str(metrics_file), env=env)
    assert clean.returncode == 0, clean.stderr
    gauges = _gauges(metrics_file)
    assert gauges[("cogctl_drift_detected", "local")] == 0.0
    assert gauges[("cogctl_drift_objects", "local")] == 0.0
    assert gauges[("cogctl_drift_exit_code", "local")] == 0.0

    # a run that cannot reach the tenant: exit code and time, no drift verdict
    failed = cogctl(project, "drift", "--env", "staging", "--metrics-file", str(metrics_file),
                    env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    gauges = _gauges(metrics_file)
    assert gauges[("cogctl_drift_exit_code", "staging")] == 1.0
    assert ("cogctl_drift_last_run_timestamp_seconds", "staging") in gauges
    assert ("cogctl_drift_detected", "staging") not in gauges


def test_drift_interrupted_records_130_in_the_metrics_file(tmp_path: Path) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    fixture = project / "fixtures" / "local-tenant.yaml"
    # every answer of the tenant takes 30 s: Ctrl-C lands while drift is fetching
    fixture.write_text(fixture.read_text().replace("settings:\n", "settings:\n  latencyMs: 30000\n", 1))
    metrics_file = project / "drift.prom"
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "drift", "--metrics-file", str(metrics_file)],
        cwd=project, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    line = ""
    while not line.startswith("target:") and time.monotonic() < deadline:
        line = process.stderr.readline()
        assert line or process.poll() is None, "drift ended before it reached the tenant"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    gauges = _gauges(metrics_file)
    assert gauges[("cogctl_drift_exit_code", "local")] == 130.0
    assert ("cogctl_drift_detected", "local") not in gauges  # it never compared
