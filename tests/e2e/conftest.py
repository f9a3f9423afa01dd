"""Fixtures of the end-to-end suite: a real server per test, a CLI in a fresh directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.emulator import TenantState, create_app
from reconciler.emulator.serving import ServerHandle, serve_in_thread

from .harness import FIXTURE, PROJECT, Cli


@pytest.fixture
def tenant() -> Iterator[ServerHandle]:
    state = TenantState.from_fixture(FIXTURE)
    with serve_in_thread(create_app(state)) as server:
        yield server


@pytest.fixture
def cli(tmp_path: Path, tenant: ServerHandle) -> Cli:
    shutil.copytree(PROJECT, tmp_path / "project")
    return Cli(tmp_path, tenant)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps every delivery (body and headers)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict[str, str]]] = []
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        self.deliveries.append((await request.body(), dict(request.headers)))
        return Response(status_code=204)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hook = Receiver()
    with serve_in_thread(hook.app) as server:
        yield hook, f"{server.url}/hook"
