"""State is anchored at the project root: run from another folder of the project and the
same embedded tenant and audit log are used; the target line names the state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import statedir

from .helpers import clean_env, cogctl


@pytest.mark.parametrize(("env", "project_file", "expected"), [
    ({}, None, Path(".cogctl")),
    ({"COGCTL_STATE_DIR": "/srv/state"}, Path("p/cogctl.yaml"), Path("/srv/state")),
    ({"COGCTL_STATE_DIR": ""}, Path("p/cogctl.yaml"), Path("p/.cogctl")),
    ({}, Path("cogctl.yaml"), Path(".cogctl")),
    ({}, Path("a/b/cogctl.yaml"), Path("a/b/.cogctl")),
])
def test_the_one_rule(env: dict[str, str], project_file: Path | None, expected: Path,
                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert statedir.state_dir(env, project_file=project_file) == expected


def test_outside_the_working_directory_the_state_is_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert statedir.state_dir({}, project_file=tmp_path / "p" / "cogctl.yaml") == (
        tmp_path / "p" / ".cogctl")


def test_running_from_another_folder_uses_the_same_tenant(tmp_path: Path) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    env = clean_env(CRM_API_TOKEN="t")
    applied = cogctl(project, "apply", "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr.startswith("target: embedded emulator (state .cogctl/local-tenant.json")

    below = project / "manifests" / "example"
    again = cogctl(below, "plan", ".", "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr  # the applied tenant, not a fresh one
    state = project / ".cogctl" / "local-tenant.json"
    assert again.stderr.splitlines()[0].startswith(f"target: embedded emulator (state {state}")
    assert not (below / ".cogctl").exists()
    audit = (project / ".cogctl" / "audit.jsonl").read_text().splitlines()
    assert len(audit) > 3
    verified = cogctl(below, "audit", "verify", env=env)  # finds the project's log
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"intact: {len(audit)} entries")
