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


def test_unknown_command_exits_nonzero_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr
