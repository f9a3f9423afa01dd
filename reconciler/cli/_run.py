"""Running a command's library call: the event loop, Ctrl-C and SIGTERM, and the run's notes.

``start`` builds the library's ``Run`` with its notes going to stderr; ``execute`` runs the
command's coroutine to the end, writes the run's records however it ends, and, when the run
is interrupted, says what it had done before it stopped.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from reconciler.cli import _common
from reconciler.pipeline import exitcodes, running
from reconciler.pipeline.settings import Settings

T = TypeVar("T")


def note(line: str) -> None:
    """A line for the person running the command: stderr, beside progress and warnings."""
    click.echo(line, err=True)


def start(settings: Settings, command: str) -> running.Run:
    return running.Run(settings, command, on_note=note)


def execute(run: running.Run, coro: Coroutine[Any, Any, T]) -> T:
    """Run the command's coroutine; the metrics file is written however it ends, and an
    interrupted run (Ctrl-C, SIGTERM) says what it had done before it stopped."""
    try:
        return run_async(coro)
    except KeyboardInterrupt:
        note(run.interrupted_note())
        run.interrupted(exitcodes.TERMINATED if _common.termination.received
                        else exitcodes.INTERRUPTED)
        raise
    finally:
        run.finish()


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine to the end (Ctrl-C surfaces as KeyboardInterrupt).

    Ctrl-C (and SIGTERM, which is delivered through it) cancels the running coroutine, so its
    cleanup runs inside it (embedded state saved, clients closed), then KeyboardInterrupt is
    raised: what Python 3.11's asyncio runner does, done by hand on 3.10.
    """
    if sys.version_info >= (3, 11):
        return asyncio.run(coro)
    return asyncio.run(_cancelled_on_sigint(coro))


async def _cancelled_on_sigint(coro: Coroutine[Any, Any, T]) -> T:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_sigint(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: nothing to intercept
        return await coro
    try:
        return await coro
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
