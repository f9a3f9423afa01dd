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
import subprocess
from pathlib import Path

import nodetools
import pytest

from reconciler.emulator.cognigy_ai import TenantState, app, create_app
from reconciler.emulator.platform import serving

from .conftest import KEY, TENANT

VERSION = "0.19.0"
SCRIPT = Path(__file__).with_name("client_conformance.js")
# Served, but not called by the backend: cancelling tasks, and the session-state read that
# the 0.19.0 client has no function for.
NOT_CALLED = {"cancelTask", "(none: MCP)"}


def _installed() -> Path:
    """The ``node_modules`` holding the official client."""
    package = nodetools.installed("@cognigy/rest-api-client", VERSION, cache="npm",
                                  what="the official-client conformance test")
    return package.parents[1]


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
