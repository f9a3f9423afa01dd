"""``cogctl simulate`` shows progress on stderr while cases run (a pipe: lines, not a bar);
stdout keeps only the report."""

from __future__ import annotations

from pathlib import Path

from .helpers import clean_env, cogctl


def test_simulate_reports_finished_cases_on_stderr(tmp_path: Path) -> None:
    assert cogctl(tmp_path, "init", "p").returncode == 0
    project = tmp_path / "p"
    env = clean_env(CRM_API_TOKEN="t")
    assert cogctl(project, "apply", "--auto-approve", env=env).returncode == 0
    result = cogctl(project, "simulate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("target: embedded emulator")
    assert lines[1].startswith(
        "simulating SimulationSuite/example/example_smoke: 1/1 cases done, 0 not passed, after ")
    assert lines[2] == "pass SimulationSuite/example/example_smoke: pass rate 1.00 (min 0.95)"
    assert "simulating" not in result.stdout
    assert result.stdout.startswith("SimulationSuite/example/example_smoke (bot bot_example): "
                                    "PASSED")
