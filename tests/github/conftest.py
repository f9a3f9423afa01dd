"""Fixtures of the GitHub tests: a fake runner with a fake GitHub and an emulated tenant."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from actionrunner import ROOT, Runner
from fakegithub import FakeGitHub

from reconciler.emulator.platform import TenantState, create_app, serving


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    fixture = yaml.safe_load((ROOT / "manifests" / "fixtures" / "demo-tenant.yaml").read_text())
    fixture["settings"].update(trainingSeconds=0.2, simulationSeconds=0.05)
    fixture_path = tmp_path / "tenant.yaml"
    fixture_path.write_text(yaml.safe_dump(fixture))
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    fake = FakeGitHub()
    fake.add_pull(7)
    app = create_app(TenantState.from_fixture(fixture_path))
    with serving.serve_in_thread(fake.asgi()) as gh, serving.serve_in_thread(app) as tenant:
        fake.link_base = fake.api_url = gh.url
        fake.blob_base = gh.url.replace("127.0.0.1", "localhost")  # storage: another origin
        yield Runner(tmp_path, fake, tenant.url)


