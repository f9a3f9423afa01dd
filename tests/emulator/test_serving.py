"""The emulator over real HTTP: ``serve_in_thread`` and ``cogctl emulator serve`` run as a
user runs it (a subprocess), stopped by SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reconciler.emulator.platform import TenantState, create_app, serving

from .conftest import TENANT, integration_body

REPO = Path(__file__).parents[2]
DEMO = REPO / "manifests" / "fixtures" / "demo-tenant.yaml"
DEADLINE_SECONDS = 20.0


def test_serve_in_thread_accepts_connections_and_stops(state: TenantState) -> None:
    handle = serving.serve_in_thread(create_app(state))
    assert handle.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{handle.url}/openapi.json").status_code == 200
    handle.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{handle.url}/openapi.json")


@contextmanager
def _cogctl_serve(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("cogctl emulator listening on http://127.0.0.1:"), first
        url = first.split()[4]
        _wait_until_answering(url, proc)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_until_answering(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            httpx.get(f"{url}/openapi.json", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the server never answered")


def _stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=DEADLINE_SECONDS)
    return proc.returncode, stderr


def _token(url: str, client: str, secret: str) -> str:
    answer = httpx.post(f"{url}/api/v1/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client, "client_secret": secret})
    assert answer.status_code == 200
    return str(answer.json()["access_token"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cogctl_emulator_serve_answers_and_stops_cleanly(sig: int) -> None:
    with _cogctl_serve("--fixture", str(DEMO)) as (proc, url):
        token = _token(url, "demo-client", "demo-client-secret")
        page = httpx.get(f"{url}/api/v1/bots?limit=1",
                         headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200
        body = page.json()
        assert (body["limit"], body["offset"], len(body["data"])) == (1, 0, 1)
        assert body["total"] >= 1
        code, stderr = _stop(proc, sig)
    assert code == 0
    assert "Traceback" not in stderr
    assert "emulator stopped" in stderr


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "tenant.json"
    with _cogctl_serve("--fixture", str(TENANT), "--state", str(state_file)) as (proc, url):
        token = _token(url, "admin", "admin-secret")
        created = httpx.post(f"{url}/api/v1/integrations", json=integration_body(),
                             headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201
        assert _stop(proc, signal.SIGTERM)[0] == 0
    with _cogctl_serve("--state", str(state_file)) as (proc, url):
        fetched = httpx.get(f"{url}/api/v1/integrations/{created.json()['id']}",
                            headers={"Authorization": f"Bearer {token}"})
        assert fetched.status_code == 200
        assert fetched.json() == created.json()
        assert _stop(proc, signal.SIGTERM)[0] == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([], "give --fixture FILE or --state FILE"),
        (["--fixture", "no/such.yaml"], "no/such.yaml: cannot read the fixture"),
    ],
)
def test_serve_refuses_bad_input_with_one_line(args: list[str], needle: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "emulator", "serve", "--port", "0", *args],
        cwd=REPO, capture_output=True, text=True, timeout=DEADLINE_SECONDS, check=False,
    )
    assert result.returncode == 1
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
