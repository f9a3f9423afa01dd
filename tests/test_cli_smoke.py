"""The console script runs as a user runs it and lists its commands."""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "Exit codes:" in result.stdout


def test_usage_errors_exit_1_never_2_which_means_drift() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr
