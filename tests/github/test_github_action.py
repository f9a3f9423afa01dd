"""The composite action's shell steps, run locally as a runner would run them.

The runner (``actionrunner``) runs each ``run:`` script of ``.github/actions/cogctl/action.yml``
with bash against the emulator over real HTTP and a fake GitHub API over real HTTP.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from actionrunner import CANARY, MERGE_SHA, Runner
from fakegithub import FakeGitHub

from reconciler.github import planstamps, publishing
from reconciler.records import audithead

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
    assert "::error::command must be plan, apply, drift or environments, not 'destroy'" in result.stdout


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


def _keep_chain(runner: Runner, out_dir: Path, run_id: int) -> None:
    """What the workflow's upload step does, then a fresh runner folder for the next job."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("audit.jsonl", "audit-head.json"):
            archive.write(out_dir / name, name)
    runner.github.add_artifact("cogctl-audit-local", buffer.getvalue(), run_id=run_id)
    shutil.rmtree(out_dir)


@pytest.mark.e2e
def test_drift_runs_continue_one_audit_chain_and_a_lost_link_is_a_gap(runner: Runner) -> None:
    first = runner.action({}, command="drift", env="local", **{"audit-chain": "true"})
    assert first.code == 0, first.stderr
    assert "the chain starts here" in first.stdout
    out_dir = Path(first.outputs["out-dir"])
    _keep_chain(runner, out_dir, 501)

    second = runner.action({}, command="drift", env="local", **{"audit-chain": "true"})
    assert second.code == 0, second.stderr
    assert "audit chain of local: continued from run 501" in second.stdout
    assert "audit gap" not in second.stderr
    events = [json.loads(line)["event"] for line in
              (out_dir / "audit.jsonl").read_text().splitlines()]
    assert events.count("drift.checked") == 2
    assert audithead.check(out_dir / "audit.jsonl", out_dir / "audit-head.json") is None
    _keep_chain(runner, out_dir, 502)

    runner.github.add_artifact("cogctl-audit-local", None, run_id=503, expired=True)
    third = runner.action({}, command="drift", env="local", **{"audit-chain": "true"})
    assert third.code == 0, third.stderr
    assert "::warning::audit chain of local: the artifact cogctl-audit-local of run 503 has " \
           "expired" in third.stdout
    assert "warning: audit gap: the previous head of this chain is lost" in third.stderr
    events = [json.loads(line)["event"] for line in
              (out_dir / "audit.jsonl").read_text().splitlines()]
    assert events[0] == audithead.GAP_EVENT
    assert "drift.checked" in events
