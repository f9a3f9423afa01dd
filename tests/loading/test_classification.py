"""Nothing under the manifest paths is skipped silently: what looks like a manifest is one.

A document that means to be a manifest but is not a valid one is an error with file:line and a
"did you mean"; unrelated YAML is ignored and listed by ``validate -v``. Before this, a
mistyped ``apiversion:`` made ``validate`` report the project valid and ``plan --prune`` plan
to delete the live object the file describes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.manifests import loading

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("data", "looks"),
    [
        ({"apiversion": "cogctl/v1", "kind": "Slot"}, True),
        ({"api_version": "x"}, True),
        ({"apiVerison": "x"}, True),
        ({"ApiVersion": "x"}, True),
        ({"kind": "Slot", "metadata": {}}, True),
        ({"kind": "SimulationSuite"}, True),
        ({"metadata": {"name": "a"}, "spec": {}}, True),
        ({"apiVersion": "cogctl.v1"}, True),
        ({"apiVersion": "Cogctl/v1"}, True),
        ({"apiVersion": "cogclt/v1", "kind": "Slot"}, True),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": {}}, False),
        # Unrelated YAML stays ignored.
        ({"openapi": "3.0.0", "info": {"title": "x"}, "paths": {}}, False),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}}, False),
        ({"kind": "Pod", "metadata": {"name": "x"}}, False),
        ({"version": 2, "api": "x"}, False),
        ({"rows": [1, 2, 3]}, False),
        ([1, 2, 3], False),
        ("text", False),
        (None, False),
    ],
)
def test_looks_like_manifest(data: Any, looks: bool) -> None:
    assert loading.looks_like_manifest(data) is looks


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "manifests"
    shutil.copytree(ROOT / "manifests", project)
    return project


def _cogctl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGCTL_", "COGNIGY_"))}
    env["COGCTL_STATE_DIR"] = str(cwd / ".cogctl")
    return subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120, check=False)


@pytest.mark.e2e
def test_a_mistyped_api_version_fails_validate_and_plan(tmp_path: Path) -> None:
    project = _project(tmp_path)
    context = project / "orders" / "context.yaml"
    text = context.read_text()
    line = text.splitlines().index("apiVersion: cogctl/v1") + 1
    context.write_text(text.replace("apiVersion: cogctl/v1", "apiversion: cogctl/v1", 1))

    validated = _cogctl(tmp_path, "validate", "manifests")
    assert validated.returncode == 1
    assert (f"manifests/orders/context.yaml:{line}:1: ContextDefaults/orders/defaults: "
            "unknown key 'apiversion': did you mean 'apiVersion'?") in validated.stdout
    assert "valid:" not in validated.stdout

    planned = _cogctl(tmp_path, "plan", "manifests", "--prune")
    assert planned.returncode == 1
    assert "did you mean 'apiVersion'?" in planned.stderr
    assert "to destroy" not in planned.stdout


def test_a_file_without_api_version_that_names_a_kind_is_an_error(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "orders" / "stray.yaml").write_text(
        "# a slot someone forgot to finish\nkind: Slot\nmetadata: {name: a, bot: orders}\n"
        "spec: {patterns: [x]}\n")
    result = _cogctl(tmp_path, "validate", "manifests")
    assert result.returncode == 1
    assert ("manifests/orders/stray.yaml:2:1: Slot/orders/a: missing apiVersion "
            "(expected apiVersion: cogctl/v1)") in result.stdout


def test_unrelated_yaml_is_ignored_and_listed_with_verbose(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "openapi.yaml").write_text("openapi: 3.0.0\ninfo: {title: crm}\npaths: {}\n")
    (project / "orders" / "data.yml").write_text("- {sku: 1}\n- {sku: 2}\n")
    quiet = _cogctl(tmp_path, "validate", "manifests")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert "ignored" not in quiet.stdout
    verbose = _cogctl(tmp_path, "validate", "manifests", "-v")
    assert verbose.returncode == 0, verbose.stdout
    assert verbose.stdout.splitlines()[:2] == [
        "ignored: manifests/openapi.yaml (YAML, but no document looks like a manifest)",
        "ignored: manifests/orders/data.yml (YAML, but no document looks like a manifest)",
    ]
    assert verbose.stdout.splitlines()[-1].startswith("valid: ")
