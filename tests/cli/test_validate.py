"""``cogctl validate`` run as a user runs it: a subprocess, exit codes, text and JSON output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVALID = Path("tests/data/invalid")
_EXPECT = re.compile(rb"^# expect: (\d+):(\d+): ", re.MULTILINE)


def _cogctl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "COGCTL_ENV"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", *args],
        capture_output=True, text=True, check=False, cwd=ROOT, env=environ, timeout=60,
    )


def _expected_places(case: Path) -> set[str]:
    files = [case] if case.is_file() else sorted(case.rglob("*.yaml"))
    return {
        f"{path}:{int(m.group(1))}:{int(m.group(2))}: "
        for path in files for m in _EXPECT.finditer((ROOT / path).read_bytes())
    }


def test_example_project_is_valid_with_a_summary() -> None:
    result = _cogctl()  # default path: manifests/

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [
        "valid: 17 manifests in 8 files (2 ContextDefaults, 3 Integration, "
        "2 SimulationSuite, 10 Slot); environment local"
    ]
    assert result.stderr == ""


def test_example_project_is_valid_for_staging_too() -> None:
    result = _cogctl("manifests/", "--env", "staging")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("environment staging")


def test_every_invalid_file_is_reported_with_file_line_and_column() -> None:
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / INVALID).glob("*.yaml"))

    result = _cogctl(*files)

    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    for path in files:
        for place in _expected_places(Path(path)):
            assert place in result.stdout, place
    assert re.fullmatch(r"\d+ problems in \d+ files\n", result.stderr)


@pytest.mark.parametrize(
    "case", ["dependency_cycle", "unknown_var", "config_unknown_default", "yaml_not_utf8.yaml"]
)
def test_invalid_case_exits_1_naming_the_place(case: str) -> None:
    result = _cogctl(str(INVALID / case))

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    places = _expected_places(INVALID / case)
    assert len(lines) == len(places)
    assert {line[: len(p)] for line in lines for p in places if line.startswith(p)} == places


def test_json_output_is_a_list_of_diagnostics() -> None:
    result = _cogctl(str(INVALID / "doc_several_problems.yaml"), "--output", "json")

    assert result.returncode == 1
    diagnostics = json.loads(result.stdout)
    assert [set(d) for d in diagnostics] == [
        {"file", "line", "column", "address", "message"}
    ] * 3
    assert [(d["line"], d["column"], d["address"]) for d in diagnostics] == [
        (7, 14, "Slot/support/order_number"),
        (15, 8, "Integration/support/crm_lookup"),
        (24, 11, "SimulationSuite/support/smoke"),
    ]
    assert result.stderr == ""


def test_json_output_of_a_valid_project_is_an_empty_list() -> None:
    result = _cogctl("manifests", "--output", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_unknown_environment_from_the_environment_variable() -> None:
    result = _cogctl("manifests", env={"COGCTL_ENV": "prod"})

    assert result.returncode == 1
    assert result.stdout.startswith(
        "manifests/cogctl.yaml:5:1: unknown environment 'prod' from COGCTL_ENV "
        "(defined: local, local-ai, staging)"
    )


def test_explicit_config_file(tmp_path: Path) -> None:
    config = tmp_path / "qa.yaml"
    config.write_text(
        "environments:\n  qa:\n    vars:\n      crmUrl: https://crm-qa.example.com\n"
        "      escalationEmail: qa@example.com\n      carrier: ups\n"
    )
    result = _cogctl("manifests", "--config", str(config))
    assert result.returncode == 0, result.stdout
    assert result.stdout.rstrip().endswith("environment qa")


def test_missing_path_is_an_error_not_a_crash() -> None:
    result = _cogctl("no/such/dir")
    assert result.returncode == 1
    assert result.stdout.startswith("no/such/dir:1:1: no such file or directory")
    assert "Traceback" not in result.stderr


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--help"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert result.returncode == 0
    for option in ("--output", "--env", "--config", "Exit codes: 0 valid, 1 invalid"):
        assert option in result.stdout
