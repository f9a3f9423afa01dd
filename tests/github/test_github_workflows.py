"""The workflows and the reusable action pass GitHub's schemas and zizmor, offline.

Both checkers run as subprocesses, as CI runs them. A deliberately bad workflow proves the
checks can fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / ".github" / "actions" / "cogctl" / "action.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

BAD_WORKFLOW = """\
name: bad
on: [pull_request_target]
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    assert which, f"{name} is not installed (pip install -e '.[dev]')"
    return which


def check_schema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--min-severity", "medium",
         "--format", "json", *map(str, paths)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    return result.returncode, json.loads(result.stdout or "[]")


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_expected_workflows_exist() -> None:
    names = {p.name for p in WORKFLOWS}
    assert names >= {"ci.yml", "cogctl-plan.yml", "cogctl-apply.yml", "cogctl-drift.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path: Path) -> None:
    result = check_schema("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_matches_githubs_schema() -> None:
    result = check_schema("vendor.github-actions", ACTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_above() -> None:
    code, findings = zizmor(ROOT / ".github")
    assert findings == []
    assert code == 0


def test_the_checks_catch_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW)
    _, findings = zizmor(bad)
    found = {f["ident"] for f in findings}
    assert {"template-injection", "unpinned-uses", "dangerous-triggers"} <= found
    bad.write_text(BAD_WORKFLOW.replace("runs-on", "runs_on"))
    assert check_schema("vendor.github-workflows", bad).returncode != 0


def _steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_actions_are_pinned_and_scripts_expand_nothing(path: Path) -> None:
    for step in _steps(load(path)):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"
        assert "${{" not in step.get("run", ""), f"{path.name}: expression inside run:"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_by_default_and_explicit_per_job(path: Path) -> None:
    document = load(path)
    assert document["permissions"] == {}
    for name, job in document["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {name} has no permissions block"
        assert all(v in ("read", "write", "none") for v in job["permissions"].values())


def _job(name: str, job: str) -> dict[str, Any]:
    document = load(ROOT / ".github" / "workflows" / name)
    return dict(document["jobs"][job])


def test_plan_runs_per_environment_read_only_and_never_for_forks() -> None:
    plan = _job("cogctl-plan.yml", "plan")
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "head.repo.full_name == github.repository" in plan["if"]
    assert plan["environment"] == "${{ matrix.environment }}-readonly"
    assert "fromJSON(needs.validate.outputs.environments)" in plan["strategy"]["matrix"][
        "environment"]


def test_apply_is_protected_serialised_per_environment_and_keeps_the_audit_log() -> None:
    apply = _job("cogctl-apply.yml", "apply")
    assert apply["environment"] == "${{ matrix.environment }}"
    assert apply["concurrency"] == {
        "group": "cogctl-apply-${{ matrix.environment }}", "cancel-in-progress": False
    }
    assert "write" not in apply["permissions"].values()
    action_step, upload = apply["steps"][1], apply["steps"][2]
    assert action_step["with"]["command"] == "apply"
    assert upload["if"] == "always()"
    assert upload["uses"].startswith("actions/upload-artifact@")


def test_drift_runs_on_a_schedule_with_issue_rights_only() -> None:
    document = load(ROOT / ".github" / "workflows" / "cogctl-drift.yml")
    triggers = document["on"] if "on" in document else document[True]  # YAML 1.1 reads on: as True
    assert "schedule" in triggers
    drift = document["jobs"]["drift"]
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
