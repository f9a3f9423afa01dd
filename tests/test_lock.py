"""Reproducible installs: one lock, used everywhere we install, in step with pyproject.toml."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
RUNTIME = ROOT / "requirements" / "runtime.txt"
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(?: ; ([^\\]+?))? *\\$", re.M)


def _pins(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Package -> [(version, marker)], every entry of a uv-compiled requirements file."""
    pins: dict[str, list[tuple[str, str]]] = {}
    for name, version, marker in _PINNED.findall(path.read_text(encoding="utf-8")):
        pins.setdefault(str(canonicalize_name(name)), []).append((version, marker))
    return pins


def _project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]


@pytest.mark.parametrize("path", [LOCK, RUNTIME], ids=["lock", "runtime"])
def test_every_entry_is_exact_and_hashed(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(entries) > 10
    for entry in entries:
        assert "==" in entry.split("\n", 1)[0], entry
        assert "--hash=sha256:" in entry, f"no hash for {entry.splitlines()[0]}"


def test_the_lock_satisfies_every_range_of_pyproject() -> None:
    project = _project()
    pins = _pins(LOCK)
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for line in wanted:
        requirement = Requirement(line)
        name = str(canonicalize_name(requirement.name))
        assert name in pins, f"{name} is in pyproject.toml but not locked: run 'make lock'"
        for version, _ in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{name}=={version} is outside '{requirement.specifier}': run 'make lock'"
            )


def test_the_runtime_lock_is_the_lock_without_dev_tools() -> None:
    lock, runtime = _pins(LOCK), _pins(RUNTIME)
    for name, entries in runtime.items():
        assert name in lock, name
        assert {v for v, _ in entries} <= {v for v, _ in lock[name]}, name
    assert "pytest" not in runtime
    assert "setuptools" in runtime  # the build backend, for --no-build-isolation


def test_the_build_backend_is_locked_within_its_range() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        backend = tomllib.load(f)["build-system"]["requires"]
    pins = _pins(LOCK)
    for line in backend:
        requirement = Requirement(line)
        versions = [v for v, _ in pins[str(canonicalize_name(requirement.name))]]
        assert versions
        assert all(requirement.specifier.contains(v) for v in versions)


def test_make_installs_from_the_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r $(LOCK)" in makefile
    assert "LOCK := requirements/lock.txt" in makefile
    assert re.search(r"^lock:", makefile, re.M), "make lock refreshes the lock"
    assert re.search(r"^demo: \$\(STAMP\)", makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _run_lines(document: Any) -> list[str]:
    found: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("run"), str):
                found.append(node["run"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _installs(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = [c for run in _run_lines(document) for c in run.replace("\\\n", " ").splitlines()]
    return [c for c in commands if "pip install" in c]


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / ".github" / "workflows").glob("*.yml")),
     ROOT / ".github" / "actions" / "cogctl" / "action.yml"],
    ids=lambda p: p.name,
)
def test_workflows_and_the_action_install_only_locked_versions(path: Path) -> None:
    for line in _installs(path):
        assert "--require-hashes" in line or "--no-deps" in line, (
            f"{path.name}: '{line.strip()}' installs versions that are not locked"
        )


def test_the_action_installs_the_runtime_lock() -> None:
    installs = "\n".join(_installs(ROOT / ".github" / "actions" / "cogctl" / "action.yml"))
    assert "requirements/runtime.txt" in installs


def test_ci_covers_the_oldest_and_the_newest_python() -> None:
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    pythons = ci["jobs"]["test"]["strategy"]["matrix"]["python"]
    assert _project()["requires-python"] == ">=3.10"
    assert "3.10" in pythons
    assert "3.13" in pythons


def test_the_upstream_canary_is_scheduled_on_the_newest_versions() -> None:
    path = ROOT / ".github" / "workflows" / "upstream.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = document[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in triggers
    assert "push" not in triggers
    assert "pull_request" not in triggers
    runs = "\n".join(_run_lines(document))
    assert "DEPS=latest" in runs
