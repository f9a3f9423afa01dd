"""docs/architecture.md lists every module of reconciler/, and the layers hold."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "reconciler"


def _modules() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" or relative.as_posix() == "__main__.py":
            continue
        found.append(relative.as_posix())
    return found


def test_every_module_is_listed_in_the_architecture_document() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [m for m in _modules() if f"`{m}`" not in document]
    assert not missing, f"docs/architecture.md does not list: {', '.join(missing)}"


def test_the_architecture_document_lists_no_module_that_is_gone() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_/]+\.py)` \|", document, re.M))
    assert listed
    assert not listed - set(_modules())


def test_no_module_sits_flat_in_the_package_but_the_shared_ones() -> None:
    flat = {p.name for p in PACKAGE.glob("*.py")}
    assert flat == {"__init__.py", "__main__.py", "clock.py", "collector.py", "errors.py",
                    "extraction.py",
                    "fileio.py", "jsontypes.py", "statedir.py"}


def _copy(tmp_path: Path) -> Path:
    """A copy of the package and the contracts, to plant violations in."""
    shutil.copytree(PACKAGE, tmp_path / "reconciler",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "reconciler"


def _plant(package: Path, module: str, line: str) -> None:
    target = package / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _lint(tmp_path: Path) -> tuple[int, str]:
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    return result.returncode, result.stdout + result.stderr


def test_the_contracts_hold_on_the_package_as_it_is(tmp_path: Path) -> None:
    _copy(tmp_path)
    code, output = _lint(tmp_path)
    assert code == 0, output


def test_an_edge_import_into_the_core_breaks_a_contract(tmp_path: Path) -> None:
    _plant(_copy(tmp_path), "core/planning.py", "from reconciler.engine import writing  # noqa")
    code, output = _lint(tmp_path)
    assert code != 0
    assert "reconciler.core.planning -> reconciler.engine.writing" in output


def test_an_indirect_import_of_the_network_into_the_core_breaks_a_contract(
    tmp_path: Path,
) -> None:
    package = _copy(tmp_path)
    (package / "core" / "relay.py").write_text(
        '"""A relay."""\nfrom reconciler.backend import client  # noqa\n', encoding="utf-8")
    _plant(package, "core/planning.py", "from reconciler.core import relay  # noqa")
    code, output = _lint(tmp_path)
    assert code != 0
    assert "reconciler.core.relay -> reconciler.backend.client" in output


def test_httpx_outside_the_toolkit_breaks_a_contract(tmp_path: Path) -> None:
    package = _copy(tmp_path)
    _plant(package, "ops/probing.py", "import httpx  # noqa")
    (package / "backend" / "relay.py").write_text('"""A relay."""\nimport httpx  # noqa\n',
                                                   encoding="utf-8")
    _plant(package, "github/api.py", "from reconciler.backend import relay  # noqa")
    code, output = _lint(tmp_path)
    assert code != 0
    assert "httpx only in the HTTP toolkit" in output
    assert "reconciler.ops.probing -> httpx" in output
    assert "reconciler.backend.relay -> httpx" in output


def test_a_package_outside_every_layer_breaks_the_layers(tmp_path: Path) -> None:
    package = _copy(tmp_path)
    (package / "stray.py").write_text('"""In no layer."""\n', encoding="utf-8")
    code, output = _lint(tmp_path)
    assert code != 0
    assert "stray" in output


# Each rule has one owner: the pattern that defines it occurs in exactly that file.
_OWNERS = [
    (r'"COGCTL_STATE_DIR"', "statedir.py"),
    (r'"COGCTL_ENV"', "manifests/projects.py"),
    (r'^SENSITIVE = ', "core/plans.py"),
    (r"^def secret_sha256\(", "core/normalizing.py"),
    (r"^def format_path\(", "manifests/locating.py"),
    (r"512 \* 1024", "manifests/models.py"),
    (r"Callable\[\[\], float\]", "clock.py"),
    (r"^async def run_suites\(", "engine/simulating.py"),
]


def test_each_rule_is_defined_once() -> None:
    import pytest

    for pattern, owner in _OWNERS:
        found = sorted(
            path.relative_to(PACKAGE).as_posix()
            for path in PACKAGE.rglob("*.py")
            if "emulator" not in path.parts  # the emulator models the tenant, on its own
            and re.search(pattern, path.read_text(encoding="utf-8"), re.M)
        )
        if found != [owner]:
            pytest.fail(f"{pattern!r} is defined in {found}, expected only in {owner}")


def test_the_suite_has_one_fake_clock() -> None:
    tests = ROOT / "tests"
    clocks = sorted(p.relative_to(tests).as_posix() for p in tests.rglob("*.py")
                    if re.search(r"^class \w*Clock\b", p.read_text(encoding="utf-8"), re.M))
    assert clocks == ["fakes.py"]


def test_one_module_computes_extraction_for_both_apis() -> None:
    """The Platform emulator, the Cognigy.AI emulator, validation and plans share extraction."""
    compiling = sorted(
        path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
        if re.search(r"regress\.Regex\(|fill_strategy == \"bestMatch\"",
                     path.read_text(encoding="utf-8"))
    )
    assert compiling == ["extraction.py"]
