"""Conformance with the official client: ``client_conformance.js`` drives
``@cognigy/rest-api-client@0.19.0`` against the emulator served over uvicorn through every
call the backend makes and asserts on what the client returns.

The package is installed with npm into a cache directory (``$XDG_CACHE_HOME`` or
``~/.cache``, under ``cogctl-tests/npm``), never into the repository. Without node, npm or
the package this test fails when ``CI`` is set and skips (saying why) otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.emulator.cognigy_ai import TenantState, app, create_app
from reconciler.emulator.platform import serving

from .conftest import KEY, TENANT

PACKAGE = "@cognigy/rest-api-client@0.19.0"
SCRIPT = Path(__file__).with_name("client_conformance.js")
# Served, but not called by the backend: cancelling tasks, and the session-state read that
# the 0.19.0 client has no function for.
NOT_CALLED = {"cancelTask", "(none: MCP)"}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this cannot be skipped)")
    pytest.skip(f"{reason}; install node and npm to run the official-client conformance test")


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cogctl-tests" / "npm"


def _installed() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node or npm is not on PATH")
    prefix = _cache()
    modules = prefix / "node_modules"
    manifest = modules / "@cognigy" / "rest-api-client" / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text())["version"] == "0.19.0":
        return modules
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(npm), "install", "--no-audit", "--no-fund", "--prefix",
                           str(prefix), PACKAGE], capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0 or not manifest.is_file():
        _unavailable(f"npm could not install {PACKAGE}: {done.stderr.strip()[-500:]}")
    return modules


@pytest.mark.slow
def test_the_official_client_succeeds_on_every_call_the_backend_makes() -> None:
    modules = _installed()
    state = TenantState.from_fixture(TENANT)
    with serving.serve_in_thread(create_app(state)) as handle:
        done = subprocess.run(["node", str(SCRIPT), handle.url, KEY],
                              env={**os.environ, "NODE_PATH": str(modules)},
                              capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    served = {e.operation for e in app.ENDPOINTS} - NOT_CALLED
    assert set(report["calls"]) == served
    log = state.requests
    assert all(entry.path.startswith("/new/v2.0/") for entry in log)
    assert {entry.status for entry in log} <= {200, 201, 202, 204, 401, 404}
