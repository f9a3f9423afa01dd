"""Prometheus metrics of one command run, written as a text file (``--metrics-file``).

``MetricsRecorder`` is a ``backend.base.RequestObserver``: the client reports every HTTP
attempt to it as a ``RequestEvent``; commands add free-form gauges with ``observe`` (e.g.
``cogctl_apply_duration_seconds``). ``render`` gives the text exposition format 0.0.4 (through
``prometheus_client``, so the format is the reference implementation's), ``write`` replaces the
file atomically, ready for node_exporter's textfile collector or a CI artifact.

Series (labels ``method``, ``route`` and, where said, ``status``):

- ``cogctl_http_request_duration_seconds`` histogram (method, route, status)
- ``cogctl_http_requests_total`` (method, route, status): every attempt, retries included
- ``cogctl_http_errors_total`` (method, route, status): attempts that got no answer
  (status ``none``) or a 4xx/5xx answer
- ``cogctl_http_retries_total`` (method, route): attempts that were retries of an earlier one
- ``cogctl_http_rate_limited_total`` (method, route): attempts answered 429

``drift --metrics-file`` adds, each labelled ``environment`` (``observe_drift``):

- ``cogctl_drift_detected``: 1 when the environment drifted, else 0
- ``cogctl_drift_objects``: objects that differ from the manifests
- ``cogctl_drift_last_run_timestamp_seconds``: when the run ended (Unix time)
- ``cogctl_drift_exit_code``: the command's exit code (0 none, 2 drift, 1 error)

A run that fails before it could compare sets the exit code and timestamp only, so an alert
on "no successful drift check for a day" sees the failure.

``route`` is the path with query string dropped and every segment that is not a known word of
the Platform API replaced by ``{id}`` (``/api/v1/slots/slot_1a2b`` -> ``/api/v1/slots/{id}``),
so label cardinality stays bounded however many objects a run touches.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import errors, fileio
from reconciler.backend import base

if TYPE_CHECKING:  # prometheus_client is imported only when a metrics file is written
    from prometheus_client import metrics_core

BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)
NO_STATUS = "none"

# Every literal path segment of the Platform API contract and of the token paths it allows.
_ROUTE_WORDS = frozenset({
    "api", "v1", "v2", "auth", "oauth", "token", "bots", "bot", "info", "integrations",
    "slots", "context", "nlp", "retrain", "jobs", "analytics", "extraction", "botsessions",
    "variables", "entities", "simulate", "simulation", "_emulator", "requests", "faults",
    "reset", "state",
})
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def route_of(path: str) -> str:
    """The path as a bounded route label: ids become ``{id}``, the query string goes."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    parts = [
        part if part in _ROUTE_WORDS or part == "" else "{id}" for part in bare.split("/")
    ]
    return "/".join(parts) or "/"


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: float = 0.0
    observations: int = 0

    def add(self, value: float) -> None:
        for index, bound in enumerate(BUCKETS):
            if value <= bound:
                self.counts[index] += 1
        self.total += value
        self.observations += 1

    def buckets(self) -> list[tuple[str, float]]:
        shown = [(str(b), float(c)) for b, c in zip(BUCKETS, self.counts, strict=True)]
        return [*shown, ("+Inf", float(self.observations))]


_Key = tuple[str, ...]


class MetricsRecorder:
    """Counts HTTP attempts and command gauges; thread-safe; renders Prometheus text.

    Invariant: ``cogctl_http_requests_total`` equals the histogram's ``_count`` per
    (method, route, status), and every other counter is at most it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._durations: dict[_Key, _Histogram] = {}
        self._errors: dict[_Key, int] = {}
        self._retries: dict[_Key, int] = {}
        self._rate_limited: dict[_Key, int] = {}
        self._gauges: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}

    def on_request(self, event: base.RequestEvent) -> None:
        """Record one HTTP attempt (``backend.base.RequestObserver``)."""
        route = route_of(event.path)
        method = event.method.upper()
        status = NO_STATUS if event.status is None else str(event.status)
        with self._lock:
            histogram = self._durations.setdefault((method, route, status), _Histogram())
            histogram.add(max(0.0, float(event.seconds)))
            failed = event.status is None or event.status >= 400 or event.error is not None
            if failed:
                _bump(self._errors, (method, route, status))
            if event.retried or event.attempt > 1:
                _bump(self._retries, (method, route))
            if event.rate_limited or event.status == 429:
                _bump(self._rate_limited, (method, route))

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Set the gauge ``name`` (with ``labels``) to ``value``; the last value wins."""
        if not _METRIC_NAME.fullmatch(name):
            raise ValueError(f"invalid metric name {name!r}")
        if name.startswith("cogctl_http_"):
            raise ValueError(f"metric names starting cogctl_http_ are reserved: {name!r}")
        for label in labels:
            if not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
                raise ValueError(f"invalid label name {label!r} for metric {name!r}")
        with self._lock:
            self._gauges.setdefault(name, {})[tuple(sorted(labels.items()))] = float(value)

    def render(self) -> str:
        """The Prometheus text exposition format, version 0.0.4."""
        from prometheus_client import exposition, registry

        recorder = self

        class _Snapshot(registry.Collector):
            """Hands the recorder's current values to prometheus_client's renderer."""

            def collect(self) -> Iterator[metrics_core.Metric]:
                return recorder._families()

        collector_registry = registry.CollectorRegistry(auto_describe=False)
        collector_registry.register(_Snapshot())
        return exposition.generate_latest(collector_registry).decode("utf-8")

    def write(self, path: Path) -> None:
        """Replace ``path`` atomically with ``render()`` (a temp file, fsync, rename)."""
        target = Path(path)
        text = self.render()
        try:
            fileio.write_atomic(target, text, mode=0o644)
        except OSError as exc:
            raise errors.CogctlError(
                f"cannot write the metrics file {target}: {exc.strerror or exc}",
                hint="check the --metrics-file path",
            ) from exc

    def _families(self) -> Iterator[metrics_core.Metric]:
        with self._lock:
            yield _duration_family(self._durations)
            yield _counter("cogctl_http_requests", "HTTP attempts made to the Platform API.",
                           ["method", "route", "status"],
                           {k: h.observations for k, h in self._durations.items()})
            yield _counter("cogctl_http_errors", "HTTP attempts that failed (no answer, 4xx, 5xx).",
                           ["method", "route", "status"], self._errors)
            yield _counter("cogctl_http_retries", "HTTP attempts that retried an earlier one.",
                           ["method", "route"], self._retries)
            yield _counter("cogctl_http_rate_limited", "HTTP attempts answered 429.",
                           ["method", "route"], self._rate_limited)
            for name in sorted(self._gauges):
                yield _gauge(name, self._gauges[name])


def observe_drift(recorder: MetricsRecorder, *, environment: str, exit_code: int,
                  timestamp: float, objects: int | None = None) -> None:
    """The drift gauges of one environment; ``objects`` None: the run could not compare."""
    recorder.observe("cogctl_drift_last_run_timestamp_seconds", timestamp,
                     environment=environment)
    recorder.observe("cogctl_drift_exit_code", exit_code, environment=environment)
    if objects is not None:
        recorder.observe("cogctl_drift_detected", 1 if exit_code == 2 else 0,
                         environment=environment)
        recorder.observe("cogctl_drift_objects", objects, environment=environment)


def _bump(table: dict[_Key, int], key: _Key) -> None:
    table[key] = table.get(key, 0) + 1


def _duration_family(durations: dict[_Key, _Histogram]) -> metrics_core.Metric:
    from prometheus_client import metrics_core

    family = metrics_core.HistogramMetricFamily(
        "cogctl_http_request_duration_seconds",
        "Latency of HTTP attempts to the Platform API, in seconds.",
        labels=["method", "route", "status"],
    )
    for key in sorted(durations):
        histogram = durations[key]
        family.add_metric(list(key), histogram.buckets(), histogram.total)
    return family


def _counter(name: str, documentation: str, labels: list[str],
             values: dict[_Key, int]) -> metrics_core.Metric:
    from prometheus_client import metrics_core

    family = metrics_core.CounterMetricFamily(name, documentation, labels=labels)
    for key in sorted(values):
        family.add_metric(list(key), float(values[key]))
    return family


def _gauge(name: str, series: dict[tuple[tuple[str, str], ...], float]) -> metrics_core.Metric:
    # A family's label names are fixed; series of one gauge may use different label sets,
    # so each sample is added with its own names.
    from prometheus_client import metrics_core

    family = metrics_core.GaugeMetricFamily(name, f"{name} as observed by cogctl.")
    for labels in sorted(series):
        family.add_sample(name, dict(labels), series[labels])
    return family
