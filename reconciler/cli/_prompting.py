"""Asking before apply writes, the way ``terraform apply`` asks.

Only ``yes`` approves; any other answer cancels (exit 1) with a line saying so. Ctrl-C at the
prompt ends the command at once (exit 130), even inside the command's event loop, whose own
SIGINT handling would otherwise wait for the blocked read to return, and even when the
kernel hands the signal to another thread of the process. Without a terminal on
stdin, apply refuses before it does anything unless ``--auto-approve`` is given.
"""

from __future__ import annotations

import select
import signal
import sys
from collections.abc import Callable
from typing import TextIO

import click

from reconciler import errors
from reconciler.cli import _common

QUESTION = (
    "Do you want to perform these actions?\n"
    "  cogctl will perform the actions described above on {target}.\n"
    "  Only 'yes' will be accepted to approve.\n"
)
PROMPT = "  Enter a value: "


def require_terminal(auto_approve: bool, stdin: TextIO | None = None) -> None:
    """Refuse up front when apply would have to ask and cannot."""
    stream = sys.stdin if stdin is None else stdin
    if auto_approve:
        return
    if not stream.isatty():
        raise errors.ConfigError(
            "apply needs confirmation and there is no terminal to ask",
            hint="review the plan and pass --auto-approve (e.g. in CI)",
        )


def _read_answer(ask: Callable[[], None], read: Callable[[], str]) -> str:
    """Ask, then read one line; Ctrl-C raises KeyboardInterrupt at once, EOF reads as ''.

    The handler is in place before the question is shown, so a Ctrl-C typed the moment the
    prompt appears is not caught by the event loop's handler (which would only cancel the
    command's task at its next ``await``, after the read).
    """
    previous = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        ask()
        return read()
    except EOFError:
        return ""
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _read_stdin() -> str:
    if sys.stdin.closed:
        return ""
    if sys.platform != "win32":
        # A SIGINT may be delivered to another thread of the process, which leaves a
        # blocking read() uninterrupted; waking up often lets the main thread run the
        # Python-level handler within a tenth of a second.
        while not select.select([sys.stdin], [], [], 0.1)[0]:
            pass
    return sys.stdin.readline()


def confirm(target: str, read: Callable[[], str] = _read_stdin) -> None:
    """Ask on stderr; return only for ``yes``, else raise the Exit of a cancelled apply."""

    def ask() -> None:
        click.echo("\n" + QUESTION.format(target=target), err=True)
        click.echo(PROMPT, err=True, nl=False)

    answer = _read_answer(ask, read).strip()
    if answer != "yes":
        shown = f" ({answer!r} is not 'yes')" if answer else ""
        raise _common.fail(f"apply cancelled{shown}: nothing was written")
