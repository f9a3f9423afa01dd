"""What every command shares: how a run ends (exit code, error line, JSON error document,
GitHub annotations and job summary, crash log), and SIGTERM handled like Ctrl-C.

Exit codes (``pipeline.exitcodes`` defines them): 0 success; 1 an expected failure, reported
as one clear line (usage errors too: click's own 2 would read as drift); 2 changes or drift
(``plan --detailed-exitcode``, ``drift``); 3 verification failed; 70 internal error, with a
pointer to a log file holding the traceback; 130 interrupted (Ctrl-C); 143 terminated
(SIGTERM, as CI runners and container runtimes stop a job).

SIGTERM is handled exactly as Ctrl-C is: the running command is cancelled where it waits,
every ``finally`` runs (the embedded emulator's state is saved, the metrics file written),
the command says what it had done, and the process exits 143 instead of 130.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any

import click

from reconciler import errors
from reconciler.pipeline import crashlogs, exitcodes
from reconciler.rendering import actions, failures


def fail(message: str, *, code: int = exitcodes.ERROR) -> click.exceptions.Exit:
    """Print one error line to stderr and return the Exit to raise."""
    click.echo(f"error: {message}", err=True)
    _noted.append(f"error: {message}")
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


def _interrupted() -> int:
    if termination.received:
        click.echo("terminated (SIGTERM)", err=True)
        return exitcodes.TERMINATED
    click.echo("interrupted", err=True)
    return exitcodes.INTERRUPTED


_noted: list[str] = []


def note_errors(lines: Sequence[str]) -> None:
    """Errors a command reported itself (e.g. validate's problems), for the job summary."""
    _noted.extend(lines)


def in_github_actions(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def annotate(diagnostics: Sequence[Any]) -> None:
    """In GitHub Actions, one ``::error file=,line=,col=::`` line per problem (stdout)."""
    if in_github_actions():
        for line in actions.diagnostic_annotations(diagnostics):
            click.echo(line)


def _json_requested(argv: Sequence[str]) -> bool:
    for index, arg in enumerate(argv):
        if arg in ("-o", "--output") and argv[index + 1:index + 2] == ["json"]:
            return True
        if arg in ("-ojson", "--output=json"):
            return True
    return False


def _command_name(argv: Sequence[str]) -> str:
    words = [arg for arg in argv if not arg.startswith("-")]
    return " ".join(words[:1]) or "cogctl"


def _report(exc: BaseException, code: int, line: str, argv: Sequence[str]) -> None:
    """The error line on stderr; also JSON on stdout under -o json, annotations in Actions."""
    click.echo(line, err=True)
    _noted.append(line)
    if _json_requested(argv):
        document = failures.error_document(exc, code, line)
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        annotate(diagnostics)
        _noted.extend(d.render() for d in diagnostics[1:])
    elif in_github_actions():
        click.echo(actions.annotation(line, title="cogctl"))


def _write_summary(argv: Sequence[str], code: int) -> None:
    """Every command in GitHub Actions, failed or not, adds a section to the job summary."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not in_github_actions() or not path or "--help" in argv or "-h" in argv:
        return
    text = actions.job_summary(_command_name(argv), code, errors=_noted[:50])
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        click.echo(f"warning: cannot write the job summary {path}: {exc.strerror}", err=True)


def run(group: click.Group, argv: Sequence[str] | None = None) -> None:
    """Run the group; never let a traceback reach the user. SIGTERM stops it like Ctrl-C."""
    termination.install()
    args = list(sys.argv[1:] if argv is None else argv)
    code = _run(group, args)
    _write_summary(args, code)
    sys.exit(code)


def _run(group: click.Group, args: list[str]) -> int:
    try:
        code = group.main(args, standalone_mode=False, prog_name="cogctl")
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        return _interrupted()
    except click.UsageError as exc:
        # click's usage errors exit 2, which here means "changes" or "drift": a CI step
        # with a mistyped flag must not read as drift, so they exit 1 like any other error.
        exc.show()
        _noted.append(exc.format_message())
        if _json_requested(args):
            document = failures.error_document(exc, exitcodes.ERROR, exc.format_message())
            click.echo(json.dumps(document))
        return exitcodes.ERROR
    except click.ClickException as exc:
        _report(exc, exc.exit_code, f"error: {exc.format_message()}", args)
        return exc.exit_code
    except errors.CogctlError as exc:
        _report(exc, exc.exit_code, f"error: {exc}", args)
        return exc.exit_code
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named: a crash, with its log
            return _crash(exc, args)
        # A file the user named cannot be written or read (--out into a read-only folder,
        # --junit at a missing mount): the file system's own words, one line, exit 1.
        _report(exc, exitcodes.ERROR, f"error: {exc.filename}: {exc.strerror or exc}", args)
        return exitcodes.ERROR
    except Exception as exc:
        return _crash(exc, args)
    return code if isinstance(code, int) else exitcodes.OK


def _crash(exc: Exception, args: list[str]) -> int:
    path = crashlogs.write(exc)
    where = f"; details in {path}" if path else ""
    _report(exc, exitcodes.INTERNAL, f"internal error: {type(exc).__name__}: {exc}{where}", args)
    return exitcodes.INTERNAL
