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
    assert flat == {"__init__.py", "__main__.py", "errors.py", "fileio.py", "jsontypes.py",
                    "extraction.py"}


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


def test_a_package_outside_every_layer_breaks_the_layers(tmp_path: Path) -> None:
    package = _copy(tmp_path)
    (package / "stray.py").write_text('"""In no layer."""\n', encoding="utf-8")
    code, output = _lint(tmp_path)
    assert code != 0
    assert "stray" in output
