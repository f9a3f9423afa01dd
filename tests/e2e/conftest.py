"""Fixtures of the end-to-end suite: a real server per test, a CLI in a fresh directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import fakes
import pytest

from reconciler.emulator.platform import TenantState, create_app
from reconciler.emulator.platform.serving import ServerHandle, serve_in_thread

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


Receiver = fakes.WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with fakes.serving_receiver() as served:
        yield served
