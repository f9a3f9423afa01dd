"""Install as an adopter does: build a wheel from this checkout, install it into a fresh venv
with the lock's runtime requirements, and run ``cogctl --version`` and ``cogctl init`` (for
either api)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from reconciler import __version__

from .helpers import ROOT


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            check=False, timeout=540)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_wheel_installs_into_a_fresh_venv(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so building leaves no build/ in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "reconciler", source / "reconciler",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", tmp_path / "dist", ".", cwd=source)
    (wheel,) = (tmp_path / "dist").glob("cognigy_reconciler-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    _run(python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps",
         "-r", ROOT / "requirements/runtime.txt")
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", wheel)
    _run(python, "-m", "pip", "check")

    cogctl = python.parent / "cogctl"
    assert _run(cogctl, "--version").stdout.strip() == f"cogctl, version {__version__}"
    # The templates and schemas are package data: init works from the installed wheel.
    for api in ("platform", "cognigy-ai"):
        _run(cogctl, "init", tmp_path / api, "--api", api)
        validated = _run(cogctl, "validate", cwd=tmp_path / api)
        assert validated.stdout.startswith("valid: 5 manifests")
