"""``cogctl init``: the scaffold validates, plans, applies and converges, and its workflows
call the reusable workflow with the inputs it takes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from reconciler import __version__
from reconciler.ops import scaffolding

from .helpers import clean_env, cogctl

WORKFLOWS = ("cogctl-plan.yml", "cogctl-apply.yml", "cogctl-drift.yml")
REUSABLE = Path(__file__).resolve().parents[2] / ".github/workflows/cogctl.yml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("adopter")
    result = cogctl(root, "init", "repo")
    assert result.returncode == 0, result.stderr
    return root / "repo"


def test_init_writes_every_part(project: Path) -> None:
    for relative in ("cogctl.yaml", ".pre-commit-config.yaml", ".gitignore",
                     "fixtures/local-tenant.yaml", "schemas/manifest.schema.json",
                     *(f".github/workflows/{name}" for name in WORKFLOWS)):
        assert (project / relative).is_file(), relative
    kinds = set()
    for path in (project / "manifests").rglob("*.yaml"):
        kinds |= {doc["kind"] for doc in yaml.safe_load_all(path.read_text())}
    assert kinds == {"Integration", "Slot", "ContextDefaults", "SimulationSuite"}


def test_scaffold_validates(project: Path) -> None:
    result = cogctl(project, "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: 5 manifests in 4 files")


def test_every_document_carries_its_schema_modeline(project: Path) -> None:
    slots = (project / "manifests/example/slots.yaml").read_text()
    documents = slots.split("\n---\n")
    assert len(documents) == 2
    for document in documents:
        assert "# yaml-language-server: $schema=../../schemas/manifest.schema.json" in document


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflows_call_the_reusable_workflow(project: Path, name: str) -> None:
    workflow = yaml.safe_load((project / ".github/workflows" / name).read_text())
    (job,) = workflow["jobs"].values()
    assert job["uses"] == (f"{scaffolding.DEFAULT_WORKFLOW_REPO}/.github/workflows/cogctl.yml"
                           f"@v{__version__}")
    assert job["secrets"] == "inherit"
    command = name.removeprefix("cogctl-").removesuffix(".yml")
    assert job["with"]["command"] == command
    assert job["with"]["manifests"] == "manifests"
    # the adopter's repository is not cogctl's: the reusable workflow is told where to
    # install cogctl from, the same repository and version as the workflow it calls
    assert job["with"]["cogctl-repository"] == scaffolding.DEFAULT_WORKFLOW_REPO
    assert job["with"]["cogctl-ref"] == f"v{__version__}"
    assert set(job["with"]) <= set(_reusable_inputs())
    assert workflow["permissions"] == {}


def _reusable_inputs() -> dict[str, object]:
    reusable = yaml.safe_load(REUSABLE.read_text())
    inputs: dict[str, object] = reusable[True]["workflow_call"]["inputs"]  # YAML 1.1: on: True
    return inputs


def test_workflow_repo_sets_where_cogctl_is_installed_from(tmp_path: Path) -> None:
    result = cogctl(tmp_path, "init", "--workflow-repo", "acme/cogctl-fork")
    assert result.returncode == 0, result.stderr
    for name in WORKFLOWS:
        workflow = yaml.safe_load((tmp_path / ".github/workflows" / name).read_text())
        (job,) = workflow["jobs"].values()
        assert job["uses"].startswith("acme/cogctl-fork/.github/workflows/cogctl.yml@v")
        assert job["with"]["cogctl-repository"] == "acme/cogctl-fork"
        assert job["with"]["cogctl-ref"] == f"v{__version__}"


def test_workflows_match_the_github_workflow_schema(project: Path) -> None:
    files = [str(project / ".github/workflows" / name) for name in WORKFLOWS]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         *files], capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_commands_the_workflows_run_work_on_the_scaffold(project: Path) -> None:
    """plan on a pull request, apply on merge, then drift: converged, no write sent."""
    env = clean_env(CRM_API_TOKEN="token-for-the-test")
    plan = cogctl(project, "plan", "manifests", "--detailed-exitcode", env=env)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in plan.stdout
    applied = cogctl(project, "apply", "manifests", "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cogctl(project, "plan", "manifests", "--detailed-exitcode", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    drift = cogctl(project, "drift", "manifests", env=env)
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "cogctl.yaml").write_text("# mine\n")
    result = cogctl(tmp_path, "init")
    assert result.returncode == 1
    assert "cogctl.yaml already exists" in result.stderr
    assert "--force" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cogctl.yaml"]
    assert (tmp_path / "cogctl.yaml").read_text() == "# mine\n"


def test_init_keeps_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n")
    assert cogctl(tmp_path, "init").returncode == 0
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n"


def test_workflow_repo_is_checked(tmp_path: Path) -> None:
    result = cogctl(tmp_path, "init", "--workflow-repo", "not-a-repo")
    assert result.returncode == 1
    assert "is not OWNER/NAME" in result.stderr
    assert not any(tmp_path.iterdir())
