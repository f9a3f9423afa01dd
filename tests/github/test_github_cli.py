"""``cogctl github ...`` run as a workflow runs it, against a fake GitHub over real HTTP."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import TOKEN, FakeGitHub, Fault, saved_plan

from reconciler.emulator.platform import serving
from reconciler.github import planstamps, publishing
from reconciler.rendering import jsonout

ROOT = Path(__file__).resolve().parents[2]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    gh = FakeGitHub()
    gh.add_pull(7)
    with serving.serve_in_thread(gh.asgi()) as handle:
        gh.link_base = gh.api_url = handle.url
        yield gh


def cogctl(tmp_path: Path, fake: FakeGitHub | None, *args: str,
           event: dict[str, object] | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event if event is not None else
                                     {"number": 7, "pull_request": {"number": 7}}))
    base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    base.update(
        GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY="octo/bots", GITHUB_EVENT_PATH=str(event_path),
        GITHUB_API_URL=fake.api_url if fake else "http://127.0.0.1:9", GITHUB_SHA=SHA,
        GITHUB_SERVER_URL="https://github.test", GITHUB_RUN_ID="42",
        COGCTL_STATE_DIR=str(tmp_path / ".cogctl"),
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "github", *args],
        capture_output=True, text=True, env=base, cwd=tmp_path, timeout=60, check=False,
    )


def write_plan(tmp_path: Path, *, creates: int = 1, updates: int = 0,
               deletes: int = 0) -> tuple[Path, Path]:
    plan = saved_plan(creates=creates, updates=updates, deletes=deletes)
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(plan.to_json()))
    document = tmp_path / "plan-document.json"
    document.write_text(json.dumps(jsonout.plan_document(plan)))
    return saved, document


def test_comment_creates_then_updates_and_embeds_the_plan_stamp(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    saved, _ = write_plan(tmp_path, creates=2)
    body = tmp_path / "plan.md"
    body.write_text("<!-- cogctl-plan:staging -->\n### cogctl plan\n")
    args = ("comment", "--marker", "cogctl-plan:staging", "--body-file", str(body))

    first = cogctl(tmp_path, fake, *args, "--plan", str(saved))
    second = cogctl(tmp_path, fake, *args)

    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("comment created on pull request #7: https://")
    assert second.stdout.startswith("comment updated on pull request #7")
    [posted] = fake.comments_on(7)
    assert posted["body"] == "<!-- cogctl-plan:staging -->\n### cogctl plan\n"
    first_body = cogctl(tmp_path, fake, *args, "--plan", str(saved))
    assert first_body.stdout.startswith("comment updated")
    stamp = planstamps.find_stamp(fake.comments_on(7)[0]["body"], "staging")
    assert stamp is not None
    assert (stamp.create, stamp.fingerprint) == (2, "sha256:" + "a" * 64)


def test_comment_on_a_push_event_needs_pr(tmp_path: Path, fake: FakeGitHub) -> None:
    body = tmp_path / "b.md"
    body.write_text("x")
    result = cogctl(tmp_path, fake, "comment", "--marker", "m", "--body-file", str(body),
                    event={"ref": "refs/heads/main"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: no pull request number: this event is not a pull request "
        "(pass --pr N, or run on pull_request events)"
    ]


def test_forbidden_fails_the_job_with_one_clear_line(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.faults.append(Fault("POST", 403, r"/comments$"))
    body = tmp_path / "b.md"
    body.write_text("x")
    result = cogctl(tmp_path, fake, "comment", "--marker", "m", "--body-file", str(body))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: GitHub API POST /repos/octo/bots/issues/7/comments -> 403")
    assert "pull-requests: write" in line
    assert fake.comments_on(7) == []


def test_missing_token_says_what_to_set(tmp_path: Path) -> None:
    body = tmp_path / "b.md"
    body.write_text("x")
    result = cogctl(tmp_path, None, "comment", "--marker", "m", "--body-file", str(body),
                    GITHUB_TOKEN="")
    assert result.returncode == 1
    assert "GITHUB_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_drift_issue_opens_and_closes(tmp_path: Path, fake: FakeGitHub) -> None:
    report = tmp_path / "drift.md"
    report.write_text("1 object drifted")
    opened = cogctl(tmp_path, fake, "drift-issue", "--environment", "prod",
                    "--body-file", str(report), "--drift")
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.startswith("drift issue #8: created")  # 7 is the pull request
    assert "actions/runs/42" in fake.issues[8]["body"]
    closed = cogctl(tmp_path, fake, "drift-issue", "--environment", "prod",
                    "--body-file", str(report), "--no-drift")
    assert closed.stdout.startswith("drift issue #8: closed")
    assert fake.issues[8]["state"] == "closed"


def _merged_with_comment(fake: FakeGitHub, document: Path, environment: str = "staging") -> None:
    fake.issues[7].update(merged_at="2026-01-01T00:00:00Z", merge_commit_sha=SHA)
    fake.commit_pulls[SHA] = [7]
    stamp = planstamps.stamp_document(json.loads(document.read_text()), environment=environment)
    fake.add_comment(7, f"{publishing.marker_comment(f'cogctl-plan:{environment}')}\n"
                        f"plan\n{stamp.render()}")


def test_check_plan_accepts_the_reviewed_plan(tmp_path: Path, fake: FakeGitHub) -> None:
    saved, document = write_plan(tmp_path, creates=3)
    _merged_with_comment(fake, document)
    for plan_file in (document, saved):
        result = cogctl(tmp_path, fake, "check-plan", "--environment", "staging",
                        "--plan", str(plan_file))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("plan for staging matches the one reviewed on #7")


def test_check_plan_refuses_a_different_plan(tmp_path: Path, fake: FakeGitHub) -> None:
    _, shown = write_plan(tmp_path, creates=3)
    _merged_with_comment(fake, shown)
    _, fresh = write_plan(tmp_path, creates=3, deletes=1)
    result = cogctl(tmp_path, fake, "check-plan", "--environment", "staging", "--plan", str(fresh))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "refusing to apply staging" in line
    assert "changes the reviewed plan did not show: Slot/support/old_0" in line
    [refusal] = [c for c in fake.comments_on(7)
                 if c["body"].startswith("<!-- cogctl-apply-refused:staging -->")]
    assert "`Slot/support/old_0`" in refusal["body"]
    assert "**To re-plan:**" in refusal["body"]
    assert "https://github.test/octo/bots/actions/runs/42" in refusal["body"]


def test_check_plan_still_reads_a_format_1_stamp(tmp_path: Path, fake: FakeGitHub) -> None:
    saved, document = write_plan(tmp_path, creates=2)
    fake.issues[7].update(merged_at="2026-01-01T00:00:00Z", merge_commit_sha=SHA)
    fake.commit_pulls[SHA] = [7]
    stamp = planstamps.stamp_document(json.loads(document.read_text()), environment="staging")
    old = dataclasses.replace(stamp, format=1, promises=None).render()
    assert old.startswith("<!-- cogctl-plan-fingerprint:staging sha256:")
    fake.add_comment(7, f"<!-- cogctl-plan:staging -->\nplan\n{old}")
    same = cogctl(tmp_path, fake, "check-plan", "--environment", "staging", "--plan", str(saved))
    assert same.returncode == 0, same.stderr
    other = saved_plan(creates=2, fingerprint="sha256:" + "b" * 64)
    saved.write_text(json.dumps(other.to_json()))
    moved = cogctl(tmp_path, fake, "check-plan", "--environment", "staging", "--plan", str(saved),
                   "--no-comment")
    assert moved.returncode == 1
    assert "live state changed since the plan was shown" in moved.stderr
    assert len(fake.comments_on(7)) == 1


@pytest.mark.parametrize(
    ("merged", "comment_env", "message"),
    [
        (False, "staging", f"commit {SHA} came from no merged pull request"),
        (True, "prod", "pull request #7 shows no plan for staging"),
    ],
)
def test_check_plan_refuses_without_a_reviewed_plan(
    tmp_path: Path, fake: FakeGitHub, merged: bool, comment_env: str, message: str
) -> None:
    _, document = write_plan(tmp_path)
    if merged:
        _merged_with_comment(fake, document, environment=comment_env)
    result = cogctl(tmp_path, fake, "check-plan", "--environment", "staging",
                    "--plan", str(document))
    assert result.returncode == 1
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [((), ["local", "local-ai", "staging"]), (("--skip-emulator",), ["staging"])],
)
def test_environments_list_cogctl_yaml(tmp_path: Path, args: tuple[str, ...],
                                       expected: list[str]) -> None:
    result = cogctl(tmp_path, None, "environments", str(ROOT / "manifests"), *args)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_environments_of_a_bad_project_file(tmp_path: Path) -> None:
    (tmp_path / "cogctl.yaml").write_text("environments: {}\n")
    result = cogctl(tmp_path, None, "environments", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'cogctl.yaml'}: environments:" in result.stderr


def test_render_shows_a_saved_plan_in_full(tmp_path: Path) -> None:
    saved, _ = write_plan(tmp_path, creates=400, deletes=2)
    result = cogctl(tmp_path, None, "render", "--plan", str(saved), "--environment", "staging")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!-- cogctl-plan:staging -->")
    assert result.stdout.count("<details>") == 402
    broken = tmp_path / "broken.json"
    broken.write_text('{"format_version": "9.0"}')
    refused = cogctl(tmp_path, None, "render", "--plan", str(broken), "--environment", "x")
    assert refused.returncode == 1
    assert "format_version" in refused.stderr
