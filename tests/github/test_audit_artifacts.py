"""The audit chain travels between CI runs as the artifact ``cogctl-audit-<env>``: found,
fetched and checked; a fork's or a branch's artifact never counts; a lost link is a gap."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import TOKEN, FakeGitHub, run

from reconciler import errors
from reconciler.emulator.platform import serving
from reconciler.github import auditchain
from reconciler.records import audithead, auditing

REPO = "/repos/octo/bots"
NAME = "cogctl-audit-prod"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _chain(folder: Path, events: int) -> dict[str, bytes]:
    """A real log of ``events`` entries and its head, as a run leaves them."""
    folder.mkdir(parents=True, exist_ok=True)
    log = auditing.AuditLog(folder / "audit.jsonl")
    for number in range(events):
        log.append("test.event", number=number)
    audithead.record(folder / "audit.jsonl", folder / "audit-head.json")
    return {name: (folder / name).read_bytes() for name in ("audit.jsonl", "audit-head.json")}


def _fetch(fake: FakeGitHub, folder: Path, branch: str = "main") -> auditchain.Found:
    return run(fake, lambda client: auditchain.find_and_fetch(
        client, REPO, environment="prod", branch=branch, folder=folder))


def test_no_artifact_is_the_first_run(tmp_path: Path) -> None:
    assert _fetch(FakeGitHub(), tmp_path / "out") == auditchain.First(NAME)
    assert not (tmp_path / "out").exists()


def test_the_newest_artifact_of_the_branch_is_restored_without_the_token(
        tmp_path: Path) -> None:
    fake = FakeGitHub()
    fake.add_artifact(NAME, _zip(_chain(tmp_path / "old", 2)), run_id=10)
    members = _chain(tmp_path / "new", 5)
    fake.add_artifact(NAME, _zip(members), run_id=11)
    fake.add_artifact("cogctl-audit-staging", _zip(_chain(tmp_path / "other", 1)), run_id=12)
    found = _fetch(fake, tmp_path / "out")
    assert isinstance(found, auditchain.Restored)
    assert found.run_id == 11
    assert (tmp_path / "out" / "audit.jsonl").read_bytes() == members["audit.jsonl"]
    assert audithead.check(tmp_path / "out" / "audit.jsonl", found.head) is None
    assert fake.blob_auth == [None]  # the storage host never saw the token


@pytest.mark.parametrize("foreign", ["a pull request branch", "a fork's main"])
def test_artifacts_of_other_branches_and_forks_never_count(tmp_path: Path, foreign: str) -> None:
    fake = FakeGitHub()
    genuine = _chain(tmp_path / "genuine", 3)
    fake.add_artifact(NAME, _zip(genuine), run_id=20)
    forged = _zip(_chain(tmp_path / "forged", 1))
    if foreign == "a pull request branch":
        fake.add_artifact(NAME, forged, run_id=21, branch="feature")
    else:
        fake.add_artifact(NAME, forged, run_id=21, head_repository_id=999)
    found = _fetch(fake, tmp_path / "out")
    assert isinstance(found, auditchain.Restored)
    assert found.run_id == 20
    assert (tmp_path / "out" / "audit.jsonl").read_bytes() == genuine["audit.jsonl"]


def test_an_expired_newest_artifact_is_a_lost_link(tmp_path: Path) -> None:
    fake = FakeGitHub()
    fake.add_artifact(NAME, _zip(_chain(tmp_path / "old", 2)), run_id=30)
    fake.add_artifact(NAME, None, run_id=31, expired=True)
    found = _fetch(fake, tmp_path / "out")
    assert isinstance(found, auditchain.Lost)
    assert found.reason == f"the artifact {NAME} of run 31 has expired"


def test_an_artifact_without_the_head_is_a_lost_link(tmp_path: Path) -> None:
    fake = FakeGitHub()
    log_only = {"audit.jsonl": _chain(tmp_path / "c", 2)["audit.jsonl"]}
    fake.add_artifact(NAME, _zip(log_only), run_id=40)
    found = _fetch(fake, tmp_path / "out")
    assert isinstance(found, auditchain.Lost)
    assert "holds no audit-head.json" in found.reason


def test_only_the_two_members_are_taken_from_the_archive(tmp_path: Path) -> None:
    fake = FakeGitHub()
    members = {**_chain(tmp_path / "c", 1), "../escape.txt": b"x", "nested/audit.jsonl": b"y"}
    fake.add_artifact(NAME, _zip(members), run_id=50)
    assert isinstance(_fetch(fake, tmp_path / "out" / "deep"), auditchain.Restored)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == [
        "audit-head.json", "audit.jsonl", "deep"]


@pytest.mark.parametrize(("archive", "message"), [
    (b"not a zip", "not a readable zip archive"),
    (_zip({"audit-head.json": b"x" * (64 * 1024 + 1)}), "audit-head.json is over 65536 bytes"),
    (_zip({"audit-head.json": b"\xff\xfe"}), "not a readable zip archive"),
])
def test_a_bad_archive_is_refused_and_nothing_written(tmp_path: Path, archive: bytes,
                                                      message: str) -> None:
    fake = FakeGitHub()
    fake.add_artifact(NAME, archive, run_id=60)
    with pytest.raises(errors.ConfigError, match=message):
        _fetch(fake, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_lost_head_makes_the_next_check_a_gap(tmp_path: Path) -> None:
    head = tmp_path / "audit-head.json"
    audithead.write_lost(head, "the artifact of run 7 has expired")
    gap = audithead.check(tmp_path / "audit.jsonl", head)
    assert gap is not None
    assert "the previous head of this chain is lost (the artifact of run 7 has expired)" in \
        gap.warning
    assert gap.fields["lost"] == "the artifact of run 7 has expired"


# --- as the composite action runs it: cogctl github audit-restore, then a command -------------

@pytest.fixture
def served() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    with serving.serve_in_thread(fake.asgi()) as handle:
        fake.link_base = fake.api_url = handle.url
        # the storage is another origin than the API: localhost instead of 127.0.0.1
        fake.blob_base = handle.url.replace("127.0.0.1", "localhost")
        yield fake


def _cogctl(cwd: Path, fake: FakeGitHub, *args: str, **env: str
            ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "COGCTL_"))}
    base.update({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo/bots",
                 "GITHUB_API_URL": fake.api_url, "GITHUB_REF_NAME": "main", "NO_COLOR": "1",
                 **env})
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=base,
                          capture_output=True, text=True, timeout=120, check=False)


def _ci_run(tmp_path: Path, fake: FakeGitHub, number: int) -> tuple[str, Path]:
    """One CI job in a fresh folder: restore the chain, append as a command does, keep it."""
    out = tmp_path / f"run-{number}"
    restored = _cogctl(tmp_path, fake, "github", "audit-restore", "--environment", "prod",
                       "--dir", str(out))
    assert restored.returncode == 0, restored.stderr
    log = auditing.AuditLog(out / "audit.jsonl")
    gap = audithead.check(log.path, out / "audit-head.json")
    if gap is not None:
        log.append(audithead.GAP_EVENT, **gap.fields)
    log.append("apply.finished", run=number)
    audithead.record(log.path, out / "audit-head.json")
    return restored.stdout, out


def test_three_ci_runs_continue_one_chain_and_an_expiry_shows_as_a_gap(
        tmp_path: Path, served: FakeGitHub) -> None:
    said, out = _ci_run(tmp_path, served, 1)
    assert "no earlier cogctl-audit-prod on main; the chain starts here" in said
    upload = {n: (out / n).read_bytes() for n in ("audit.jsonl", "audit-head.json")}
    served.add_artifact(NAME, _zip(upload), run_id=101)

    said, out = _ci_run(tmp_path, served, 2)
    assert "continued from run 101" in said
    entries = [json.loads(line) for line in (out / "audit.jsonl").read_text().splitlines()]
    assert [e["event"] for e in entries] == ["apply.finished", "apply.finished"]
    assert auditing.verify_log(out / "audit.jsonl").entries == 2

    served.add_artifact(NAME, None, run_id=102, expired=True)
    said, out = _ci_run(tmp_path, served, 3)
    assert "::warning::audit chain of prod: the artifact cogctl-audit-prod of run 102 has " \
           "expired; this run records an audit gap" in said
    events = [json.loads(line)["event"] for line in (out / "audit.jsonl").read_text()
              .splitlines()]
    assert events == [audithead.GAP_EVENT, "apply.finished"]


def test_audit_restore_fails_when_github_cannot_answer(tmp_path: Path,
                                                      served: FakeGitHub) -> None:
    result = _cogctl(tmp_path, served, "github", "audit-restore", "--environment", "prod",
                     "--dir", str(tmp_path / "out"), GITHUB_TOKEN="wrong")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
