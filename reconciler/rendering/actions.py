"""GitHub Actions surfaces as text: error annotations (workflow commands) and the job summary.

Pure: the CLI decides when to emit them (``GITHUB_ACTIONS=true``) and where
(annotations on stdout, the summary appended to ``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(message: str, *, file: str | None = None, line: int | None = None,
               column: int | None = None, title: str | None = None,
               level: str = "error") -> str:
    """``::error file=F,line=L,col=C,title=T::message``, escaped as GitHub requires."""
    properties = []
    if file:
        properties.append(f"file={_escape_property(file)}")
    if line:
        properties.append(f"line={line}")
    if column:
        properties.append(f"col={column}")
    if title:
        properties.append(f"title={_escape_property(title)}")
    joined = " " + ",".join(properties) if properties else ""
    return f"::{level}{joined}::{_escape_data(message)}"


def diagnostic_annotations(diagnostics: Sequence[Any]) -> list[str]:
    """One ``::error file=,line=,col=::`` line per problem, its address before its message.

    ``diagnostics`` are ``manifests.loading.Diagnostic``-shaped (address, message, file,
    line, column), as errors carry them.
    """
    return [
        annotation(f"{d.address}: {d.message}" if d.address else d.message, file=d.file,
                   line=d.line, column=d.column, title="cogctl")
        for d in diagnostics
    ]


def job_summary(command: str, code: int, *, errors: Sequence[str] = (),
                target: str | None = None) -> str:
    """A Markdown section for the job summary: what ran, how it ended, and its errors."""
    outcome = {0: "succeeded", 2: "found changes or drift", 3: "verification failed",
               130: "was interrupted"}.get(code, "failed")
    icon = ":white_check_mark:" if code == 0 else (":warning:" if code == 2 else ":x:")
    lines = [f"### {icon} cogctl {command} {outcome} (exit {code})", ""]
    if target:
        lines += [f"Target: `{target}`", ""]
    if errors:
        lines.append("```text")
        lines += [line.replace("```", "'''") for line in errors]
        lines += ["```", ""]
    return "\n".join(lines) + "\n"


def _is_error(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("error:", "internal error:", "::error")) or ": error:" in stripped


def failure_excerpt(log: str, *, tail: int = 20) -> list[str]:
    """The first error line of ``log`` (if the tail does not hold it), then its last lines.

    A failed run's first error is its cause; the lines after it are often consequences, and
    a plain tail drops the cause as soon as more than ``tail`` lines follow it.
    """
    lines = log.rstrip("\n").splitlines()
    last = lines[-tail:] if tail > 0 else []
    first = next((index for index, line in enumerate(lines) if _is_error(line)), None)
    if first is None or first >= len(lines) - len(last):
        return last
    skipped = len(lines) - len(last) - first - 1
    gap = [f"... ({skipped} line{'s' if skipped != 1 else ''} left out)"] if skipped else []
    return [lines[first], *gap, *last]


def failure_comment(title: str, log: str, *, run_url: str | None = None,
                    tail: int = 20) -> str:
    """A pull-request comment for a run that failed: the first error and the last lines."""
    body = [line.replace("```", "'''") for line in failure_excerpt(log, tail=tail)]
    parts = [f"### {title}", "", "```text", *body, "```", ""]
    if run_url:
        parts += [f"See {run_url}", ""]
    return "\n".join(parts)
