"""Show apply, verify and simulate progress on stderr: a live display on a terminal, lines
in CI.

Simulation cases: on a terminal a live count per suite; elsewhere a line per finished case at
most every ``interval`` seconds, and always the suite's last case.

On a terminal, retraining jobs are rich progress bars; elsewhere (CI logs, pipes) each job
prints a line when its status changes and at most every ``interval`` seconds otherwise, so a
long training neither floods a log nor looks hung. Every finished change and every verdict is
one line in both modes. Bots are named as every output names them (``orders (bot_orders)``)
through ``names``, botId -> label. What the display shows never changes what apply does.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from types import TracebackType

import click
from rich import progress as rich_progress
from rich.console import Console

from reconciler.clock import Clock
from reconciler.engine import progress
from reconciler.pipeline import progresslines


class Display:
    """A ``progress.Listener`` that renders events; use as a context manager."""

    def __init__(
        self,
        *,
        live: bool | None = None,
        interval: float = 5.0,
        clock: Clock = time.monotonic,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self._live = sys.stderr.isatty() if live is None else live
        self._names = dict(names or {})
        self._interval = interval
        self._clock = clock
        self._last: dict[str, tuple[str, float]] = {}
        self._bars: rich_progress.Progress | None = None
        self._tasks: dict[str, rich_progress.TaskID] = {}

    def __enter__(self) -> Display:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def __call__(self, event: progress.Event) -> None:
        if isinstance(event, progress.ChangeOutcome):
            self._line(progresslines.change_line(event))
        elif isinstance(event, progress.RetrainUpdate):
            self._retrain(event)
        elif isinstance(event, progress.Verdict):
            self._line(progresslines.verdict_line(event))
        elif isinstance(event, progress.Waiting):
            self._throttled(event.what, "waiting", progresslines.waiting_line(event))
        elif isinstance(event, progress.CaseDone):
            self._case(event)

    def _case(self, event: progress.CaseDone) -> None:
        if not self._live:
            # a line per finished case, at most every interval; the last one always
            state = "done" if event.done == event.total else "running"
            self._throttled(f"simulate {event.suite}", state, progresslines.case_line(event))
            return
        bars = self._progress_bars()
        key = f"simulate {event.suite}"
        task = self._tasks.get(key)
        if task is None:
            task = bars.add_task(event.suite, total=event.total, status="")
            self._tasks[key] = task
        bars.update(task, completed=event.done, status=f"{event.failed} not passed")

    def _line(self, message: str) -> None:
        if self._bars is not None:
            self._bars.console.print(message, highlight=False, markup=False)
        else:
            click.echo(message, err=True)

    def _throttled(self, key: str, state: str, message: str) -> None:
        now = self._clock()
        last = self._last.get(key)
        if last is None or last[0] != state or now - last[1] >= self._interval:
            self._last[key] = (state, now)
            self._line(message)

    def _retrain(self, event: progress.RetrainUpdate) -> None:
        bot = self._names.get(event.bot_id, event.bot_id)
        if not self._live:
            self._throttled(f"retrain {event.bot_id}", event.status,
                            progresslines.retrain_line(event, bot))
            return
        bars = self._progress_bars()
        task = self._tasks.get(event.bot_id)
        if task is None:
            task = bars.add_task(f"retraining {bot}", total=1.0, status=event.status)
            self._tasks[event.bot_id] = task
        bars.update(task, completed=event.progress, status=event.status)

    def _progress_bars(self) -> rich_progress.Progress:
        if self._bars is None:
            self._bars = rich_progress.Progress(
                rich_progress.TextColumn("{task.description}"),
                rich_progress.BarColumn(),
                rich_progress.TaskProgressColumn(),
                rich_progress.TextColumn("{task.fields[status]}"),
                rich_progress.TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bars.start()
        return self._bars
