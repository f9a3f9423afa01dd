"""Every audit entry says who ran the command, on which commit, in which CI run, with which
cogctl; outside CI the local user."""

from __future__ import annotations

import getpass
import json
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
