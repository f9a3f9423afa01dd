"""apply's question, answered on a real terminal (a pty): only 'yes' approves, anything else
cancels with a line saying so, Ctrl-C exits 130 at once; no terminal and no --auto-approve
refuses up front; a missing secret is a warning at plan time and an error before the
question at apply."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from .helpers import clean_env, cogctl

PROMPT = b"Enter a value: "
TOKEN = {"CRM_API_TOKEN": "token-for-the-test"}


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """cogctl on a pty of its own, as its controlling terminal (so Ctrl-C is a SIGINT)."""

    def __init__(self, cwd: Path, *args: str, env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, *(args if args[0].endswith(".py") else ("-m", "reconciler", *args))], cwd=cwd, env=env,
            stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self.master = master
        self.output = b""

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, text: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or (not self._read(deadline)
                                               and self.process.poll() is not None):
                raise AssertionError(f"{text!r} not shown; output so far:\n"
                                     f"{self.output.decode(errors='replace')}")

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(min(deadline, time.monotonic() + 0.2))
        while self._read(time.monotonic() + 0.1):
            pass
        os.close(self.master)
        return self.process.wait(timeout=max(0.1, deadline - time.monotonic()))

    def text(self) -> str:
        return self.output.decode(errors="replace").replace("\r\n", "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert cogctl(tmp_path, "init", "repo").returncode == 0
    return tmp_path / "repo"


def _unchanged(project: Path) -> bool:
    again = cogctl(project, "plan", "--detailed-exitcode", env=clean_env(**TOKEN))
    return again.returncode == 2 and "Plan: 4 to add" in again.stdout


def test_yes_approves(project: Path) -> None:
    term = Terminal(project, "apply", env=clean_env(**TOKEN))
    term.expect(b"Only 'yes' will be accepted to approve.")
    term.expect(PROMPT)
    term.send(b"yes\r")
    assert term.wait() == 0, term.text()
    assert "created" in term.text()
    assert cogctl(project, "plan", "--detailed-exitcode",
                  env=clean_env(**TOKEN)).returncode == 0


@pytest.mark.parametrize("answer", [b"y", b"no", b"YES", b""])
def test_anything_but_yes_cancels_with_a_line(project: Path, answer: bytes) -> None:
    term = Terminal(project, "apply", env=clean_env(**TOKEN))
    term.expect(PROMPT)
    term.send(answer + b"\r")
    assert term.wait() == 1, term.text()
    assert "error: apply cancelled" in term.text()
    assert "nothing was written" in term.text()
    assert _unchanged(project)


def test_ctrl_c_at_the_prompt_exits_130_at_once(project: Path) -> None:
    term = Terminal(project, "apply", env=clean_env(**TOKEN))
    term.expect(PROMPT)
    term.send(b"\x03")  # the terminal turns it into SIGINT; no Enter follows
    assert term.wait(timeout=20) == 130, term.text()
    assert "interrupted" in term.text()
    assert _unchanged(project)


def test_no_terminal_refuses_up_front(project: Path) -> None:
    result = cogctl(project, "apply", env=clean_env(**TOKEN))  # stdin is a pipe
    assert result.returncode == 1
    assert "no terminal to ask" in result.stderr
    assert "--auto-approve" in result.stderr
    assert "target:" not in result.stderr  # refused before talking to the tenant
    assert result.stdout == ""


def test_missing_secret_warns_at_plan_and_fails_before_the_question(project: Path) -> None:
    plan = cogctl(project, "plan")
    assert plan.returncode == 0
    assert ("warning: $CRM_API_TOKEN is not set: Integration/example/crm_lookup cannot be "
            "compared") in plan.stderr
    term = Terminal(project, "apply", env=clean_env())
    assert term.wait() == 1, term.text()
    assert "secrets missing from the environment: Integration/example/crm_lookup needs " \
           "$CRM_API_TOKEN" in term.text()
    assert "Enter a value" not in term.text()
    assert _unchanged(project)
