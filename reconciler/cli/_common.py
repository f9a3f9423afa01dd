"""What every command shares: exit codes, error reporting, and the crash log.

Exit codes: 0 success; 1 an expected failure, reported as one clear line (usage errors
too: click's own 2 would read as drift); 2 changes or drift
(``plan --detailed-exitcode``, ``drift``); 3 verification failed; 70 internal error, with a
pointer to a log file holding the traceback; 130 interrupted (Ctrl-C); 143 terminated
(SIGTERM, as CI runners and container runtimes stop a job).

SIGTERM is handled exactly as Ctrl-C is: the running command is cancelled where it waits,
every ``finally`` runs (the embedded emulator's state is saved, the metrics file written),
the command says what it had done, and the process exits 143 instead of 130.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from reconciler import errors

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_VERIFY_FAILED = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 error (one line says what and where); 2 changes present "
    "(plan --detailed-exitcode) or drift found (drift); 3 applied or ran, but verification "
    "failed; 70 internal error (see the log file named); 130 interrupted; 143 terminated."
)


def crash_log_dir() -> Path:
    return Path(os.environ.get("COGCTL_STATE_DIR", ".cogctl")) / "logs"


def _write_crash_log(exc: BaseException) -> Path | None:
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    for directory in (crash_log_dir(), Path(os.environ.get("TMPDIR", "/tmp"))):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"cogctl-crash-{stamp}.log"
            path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def fail(message: str, *, code: int = EXIT_ERROR) -> click.exceptions.Exit:
    """Print one error line to stderr and return the Exit to raise."""
    click.echo(f"error: {message}", err=True)
    return click.exceptions.Exit(code)


class _Termination:
    """SIGTERM delivered as Ctrl-C: to whatever handles SIGINT at that moment (asyncio's
    runner cancels the main task; elsewhere KeyboardInterrupt is raised)."""

    def __init__(self) -> None:
        self.received = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and handler is not self:
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    def install(self) -> None:
        with contextlib.suppress(ValueError):  # not the main thread: leave SIGTERM alone
            signal.signal(signal.SIGTERM, self)


termination = _Termination()


def _interrupted() -> NoReturn:
    if termination.received:
        click.echo("terminated (SIGTERM)", err=True)
        sys.exit(EXIT_TERMINATED)
    click.echo("interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


def run(group: click.Group) -> None:
    """Run the group; never let a traceback reach the user."""
    termination.install()
    try:
        code = group.main(standalone_mode=False, prog_name="cogctl")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _interrupted()
    except click.UsageError as exc:
        # click's usage errors exit 2, which here means "changes" or "drift": a CI step
        # with a mistyped flag must not read as drift, so they exit 1 like any other error.
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except errors.CogctlError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        path = _write_crash_log(exc)
        where = f"; details in {path}" if path else ""
        click.echo(f"internal error: {type(exc).__name__}: {exc}{where}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
