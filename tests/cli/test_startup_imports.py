"""Start-up: a command imports only what it uses (checked in a fresh interpreter).

``cogctl --help`` lists the commands without importing any of them, and ``validate`` talks to
no server and renders no live display, so neither loads the HTTP client, the emulator, rich
or deepdiff. ``plan`` on the embedded emulator needs httpx and starlette, never uvicorn (no
real server), rich, prometheus_client (no metrics file) or standardwebhooks (no webhook).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler import cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("rich", "deepdiff", "jsonschema", "starlette", "uvicorn", "httpx", "tenacity",
         "prometheus_client", "standardwebhooks", "pygments")

_PROBE = """
import json, sys
from reconciler.cli import main
sys.argv = ["cogctl", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
heavy = json.loads(os.environ["PROBE_MODULES"])
print(json.dumps({"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}),
      file=sys.stderr)
"""


def _loaded(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    env = {**os.environ, "PROBE_MODULES": json.dumps(HEAVY), "COGCTL_STATE_DIR": str(cwd / ".s")}
    env.pop("COGNIGY_TENANT_URL", None)
    result = subprocess.run([sys.executable, "-c", "import os\n" + _PROBE, *args], cwd=cwd,
                            env=env, capture_output=True, text=True, check=False, timeout=60)
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "manifests", tmp_path / "manifests")
    return tmp_path


def test_help_imports_no_command_and_nothing_heavy(project: Path) -> None:
    code, loaded = _loaded(["--help"], project)
    assert code == 0
    assert loaded == []


def test_validate_imports_nothing_it_does_not_use(project: Path) -> None:
    code, loaded = _loaded(["validate", "manifests"], project)
    assert code == 0
    assert loaded == []


@pytest.mark.slow
def test_plan_on_the_embedded_emulator_loads_no_server_and_no_live_display(project: Path) -> None:
    code, loaded = _loaded(["plan", "manifests"], project)
    assert code == 0
    assert set(loaded) <= {"httpx", "starlette", "tenacity", "deepdiff"}
    assert {"httpx", "starlette"} <= set(loaded)  # the probe sees what a plan does load


@pytest.mark.parametrize("name", list(cli._SUMMARIES))
def test_help_summaries_are_each_commands_own(name: str) -> None:
    group = cli.cli
    assert isinstance(group, click.Group)
    command = group.get_command(click.Context(group), name)
    assert command is not None
    for limit in (30, 45, 60, 200):
        shown = click.Command(name, help=cli._SUMMARIES[name]).get_short_help_str(limit)
        assert shown == command.get_short_help_str(limit)


def test_every_command_has_a_summary() -> None:
    assert set(cli._SUMMARIES) == set(cli._COMMANDS)
