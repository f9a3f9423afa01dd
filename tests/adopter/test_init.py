"""``cogctl init``: the scaffold of either api validates, plans, applies, converges and
verifies, and its workflows call the reusable workflow with the inputs it takes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from e2e.harness import READ_ONLY_POSTS, WRITE_METHODS

from reconciler import __version__
from reconciler.ops import scaffolding

from .helpers import clean_env, cogctl

WORKFLOWS = ("cogctl-plan.yml", "cogctl-apply.yml", "cogctl-drift.yml")
REUSABLE = Path(__file__).resolve().parents[2] / ".github/workflows/cogctl.yml"
CRM_TOKEN = "crm-token-for-the-test"


class Scaffold(NamedTuple):
    api: str
    root: Path
    env: dict[str, str]  # a state folder of its own, the integration's token


def _init(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Path:
    root = tmp_path_factory.mktemp("adopter")
    result = cogctl(root, "init", "repo", *args)
    assert result.returncode == 0, result.stderr
    return root / "repo"


@pytest.fixture(scope="module", params=scaffolding.APIS)
def project(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Scaffold:
    root = _init(tmp_path_factory, "--api", request.param)
    env = clean_env(CRM_API_TOKEN=CRM_TOKEN, COGCTL_STATE_DIR=str(root.parent / "state"))
    return Scaffold(request.param, root, env)


@pytest.fixture(scope="module")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _init(tmp_path_factory)


def test_init_writes_every_part(project: Scaffold) -> None:
    for relative in ("cogctl.yaml", ".pre-commit-config.yaml", ".gitignore",
                     "fixtures/local-tenant.yaml", "schemas/manifest.schema.json",
                     *(f".github/workflows/{name}" for name in WORKFLOWS)):
        assert (project.root / relative).is_file(), relative
    kinds = set()
    for path in (project.root / "manifests").rglob("*.yaml"):
        kinds |= {doc["kind"] for doc in yaml.safe_load_all(path.read_text())}
    assert kinds == {"Integration", "Slot", "ContextDefaults", "SimulationSuite"}


def test_the_api_changes_the_environments_and_the_fixture_only() -> None:
    platform = scaffolding.build(scaffolding.InitOptions(api="platform"))
    ai = scaffolding.build(scaffolding.InitOptions(api="cognigy-ai"))
    assert platform == scaffolding.build()  # platform is the default
    assert set(ai) == set(platform)
    assert {path for path in ai if ai[path] != platform[path]} == {
        "cogctl.yaml", "fixtures/local-tenant.yaml"}


def test_the_cognigy_ai_environments_name_a_project_and_take_the_key_from_the_env() -> None:
    text = scaffolding.build(scaffolding.InitOptions(api="cognigy-ai"))["cogctl.yaml"]
    environments = yaml.safe_load(text)["environments"]
    bot = {"project": "Example", "flow": "Main", "locale": "en-US"}
    assert environments["local"]["api"] == environments["staging"]["api"] == "cognigy-ai"
    assert environments["local"]["emulator"] == {"fixture": "fixtures/local-tenant.yaml"}
    assert environments["local"]["bots"] == environments["staging"]["bots"] == {"example": bot}
    assert environments["staging"]["baseUrl"] == "https://api-app.cognigy.ai"
    assert "COGNIGY_API_KEY" in text
    assert "COGNIGY_CLIENT" not in text  # the Platform API's credentials mean nothing here


@pytest.mark.parametrize("environment", ["local", "staging"])
def test_scaffold_validates(project: Scaffold, environment: str) -> None:
    result = cogctl(project.root, "validate", "--env", environment, env=project.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: 5 manifests in 4 files")
    assert result.stdout.rstrip().endswith(f"environment {environment}")


def test_every_document_carries_its_schema_modeline(project: Scaffold) -> None:
    slots = (project.root / "manifests/example/slots.yaml").read_text()
    documents = slots.split("\n---\n")
    assert len(documents) == 2
    for document in documents:
        assert "# yaml-language-server: $schema=../../schemas/manifest.schema.json" in document


@pytest.mark.parametrize("name", WORKFLOWS)
def test_workflows_call_the_reusable_workflow(default_project: Path, name: str) -> None:
    workflow = yaml.safe_load((default_project / ".github/workflows" / name).read_text())
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


def test_workflows_match_the_github_workflow_schema(default_project: Path) -> None:
    files = [str(default_project / ".github/workflows" / name) for name in WORKFLOWS]
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         *files], capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _requests(project: Scaffold) -> list[dict[str, Any]]:
    """What the embedded emulator logged, from its saved tenant in the state folder."""
    (state,) = Path(project.env["COGCTL_STATE_DIR"]).glob("local-*.json")
    requests: list[dict[str, Any]] = json.loads(state.read_text())["requests"]
    return requests


def _writes(requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in requests
            if r["method"] in WRITE_METHODS and not r["path"].endswith(READ_ONLY_POSTS)]


def _fixture_secrets(project: Scaffold) -> list[str]:
    """The emulator's credentials: an API key (cognigy-ai) or a client secret (platform)."""
    fixture = yaml.safe_load((project.root / "fixtures/local-tenant.yaml").read_text())
    keys = [entry["key"] for entry in fixture.get("apiKeys", [])]
    return keys + [client["clientSecret"] for workspace in fixture.get("workspaces", [])
                   for client in workspace["clients"]]


def test_the_commands_the_workflows_run_work_on_the_scaffold(project: Scaffold) -> None:
    """plan on a pull request, apply on merge, then drift: converged, no write sent; and the
    bot verifies, every slot measured."""
    plan = cogctl(project.root, "plan", "manifests", "--detailed-exitcode", env=project.env)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in plan.stdout
    applied = cogctl(project.root, "apply", "manifests", "--auto-approve", env=project.env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply complete: 4 applied." in applied.stdout
    seen = len(_requests(project))

    again = cogctl(project.root, "plan", "manifests", "--detailed-exitcode", env=project.env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    drift = cogctl(project.root, "drift", "manifests", env=project.env)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert _writes(_requests(project)[seen:]) == []

    verified = cogctl(project.root, "verify", "manifests", env=project.env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rows = {line.split()[0]: line.split()[1:] for line in verified.stdout.splitlines()
            if line.strip().startswith("Slot/")}
    assert {address: (row[0], row[-1]) for address, row in rows.items()} == {
        "Slot/example/order_number": ("1.000", "pass"), "Slot/example/email": ("1.000", "pass")}
    assert "suite SimulationSuite/example/example_smoke: pass rate 1.00" in verified.stdout
    secrets = [CRM_TOKEN, *_fixture_secrets(project)]
    assert len(secrets) == 2
    for run in (plan, applied, again, drift, verified):
        assert not [secret for secret in secrets if secret in run.stdout + run.stderr]


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
