"""An npm package for the tests that drive node tools (the official Cognigy.AI client,
yaml-language-server): installed once per version into ``~/.cache/cogctl-tests/<cache>``.

Without node or npm, or when npm cannot install, the test skips with the reason, except
under ``CI=true``, where it fails: CI must run them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(reason: str, what: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this cannot be skipped)")
    pytest.skip(f"{reason}; install node and npm to run {what}")


def installed(name: str, version: str, *, cache: str, what: str) -> Path:
    """The package folder of ``name@version`` under the cache's ``node_modules``."""
    if shutil.which("node") is None or (npm := shutil.which("npm")) is None:
        unavailable("node or npm is not on PATH", what)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    prefix = Path(base) / "cogctl-tests" / cache
    package = prefix / "node_modules" / name
    manifest = package / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text())["version"] == version:
        return package
    prefix.mkdir(parents=True, exist_ok=True)
    spec = f"{name}@{version}"
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix),
                           spec], capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not manifest.is_file():
        unavailable(f"npm could not install {spec}: {done.stderr.strip()[-500:]}", what)
    return package
