"""Prometheus metrics: counters from request events, bounded routes, valid exposition text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler import errors
from reconciler.backend import base
from reconciler.records import metrics


def _event(method: str, path: str, status: int | None, seconds: float = 0.02, *,
           attempt: int = 1, error: str | None = None) -> base.RequestEvent:
    return base.RequestEvent(
        method=method, path=path, status=status, seconds=seconds, attempt=attempt,
        retried=attempt > 1, rate_limited=status == 429, error=error,
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition text, parsed by prometheus_client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _labels(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/v1/slots?botId=bot_1&limit=100&offset=200", "/api/v1/slots"),
        ("/api/v1/slots/slot_8f3a1b", "/api/v1/slots/{id}"),
        ("/api/v1/integrations/int_3f2a-11aa", "/api/v1/integrations/{id}"),
        ("/api/v1/bots/bot_1/context", "/api/v1/bots/{id}/context"),
        ("/api/v1/bots/bot_1/nlp/retrain", "/api/v1/bots/{id}/nlp/retrain"),
        ("/api/v1/nlp/jobs/job_77", "/api/v1/nlp/jobs/{id}"),
        ("/api/v1/bots/b/analytics/slots/s/extraction?timeRange=last24h",
         "/api/v1/bots/{id}/analytics/slots/{id}/extraction"),
        ("/api/v2/botsessions/sess_1/variables", "/api/v2/botsessions/{id}/variables"),
        ("/api/bot/simulation/sim_1", "/api/bot/simulation/{id}"),
        ("/api/v1/context/conv_1", "/api/v1/context/{id}"),
        ("/api/v1/auth/oauth/token", "/api/v1/auth/oauth/token"),
        ("/tenant-prefix/oauth/token", "/{id}/oauth/token"),
        ("", "/"),
    ],
)
def test_route_replaces_ids(path: str, route: str) -> None:
    assert metrics.route_of(path) == route


def test_routes_stay_bounded_over_many_objects() -> None:
    recorder = metrics.MetricsRecorder()
    for n in range(500):
        recorder.on_request(_event("PUT", f"/api/v1/slots/slot_{n:04x}", 200))
    samples = _samples(recorder.render())
    key = ("cogctl_http_requests_total", _labels(method="PUT", route="/api/v1/slots/{id}",
                                                   status="200"))
    assert samples[key] == 500
    assert len([name for name, _ in samples if name == "cogctl_http_requests_total"]) == 1


def test_counters_from_a_sequence_of_events() -> None:
    recorder = metrics.MetricsRecorder()
    for event in [
        _event("GET", "/api/v1/slots?botId=b", 200, 0.004),
        _event("put", "/api/v1/slots/s1", 503, 0.3, error="ServerError"),
        _event("PUT", "/api/v1/slots/s1", 429, 0.01, attempt=2, error="RateLimitedError"),
        _event("PUT", "/api/v1/slots/s1", None, 30.0, attempt=3, error="ReadTimeout"),
        _event("PUT", "/api/v1/slots/s1", 200, 0.2, attempt=4),
        _event("DELETE", "/api/v1/slots/s2", 409, 0.05, error="DependencyConflictError"),
    ]:
        recorder.on_request(event)
    samples = _samples(recorder.render())
    put = {"method": "PUT", "route": "/api/v1/slots/{id}"}
    assert samples[("cogctl_http_requests_total", _labels(**put, status="200"))] == 1
    assert samples[("cogctl_http_requests_total", _labels(**put, status="503"))] == 1
    assert samples[("cogctl_http_errors_total", _labels(**put, status="503"))] == 1
    assert samples[("cogctl_http_errors_total", _labels(**put, status="429"))] == 1
    assert samples[("cogctl_http_errors_total", _labels(**put, status="none"))] == 1
    assert ("cogctl_http_errors_total", _labels(**put, status="200")) not in samples
    assert samples[("cogctl_http_errors_total", _labels(
        method="DELETE", route="/api/v1/slots/{id}", status="409"))] == 1
    assert samples[("cogctl_http_retries_total", _labels(**put))] == 3
    assert samples[("cogctl_http_rate_limited_total", _labels(**put))] == 1
    get = {"method": "GET", "route": "/api/v1/slots", "status": "200"}
    histogram = "cogctl_http_request_duration_seconds"
    assert samples[(f"{histogram}_count", _labels(**get))] == 1
    assert samples[(f"{histogram}_sum", _labels(**get))] == pytest.approx(0.004)
    assert samples[(f"{histogram}_bucket", _labels(**get, le="0.005"))] == 1
    assert samples[(f"{histogram}_bucket", _labels(**put, status="none", le="10.0"))] == 0
    assert samples[(f"{histogram}_bucket", _labels(**put, status="none", le="30.0"))] == 1
    assert samples[(f"{histogram}_bucket", _labels(**put, status="none", le="+Inf"))] == 1


def test_rendered_text_is_valid_exposition_format() -> None:
    recorder = metrics.MetricsRecorder()
    recorder.on_request(_event("GET", "/api/v1/bots", 200))
    recorder.observe("cogctl_apply_duration_seconds", 12.5, environment="staging")
    recorder.observe("cogctl_apply_changes", 3)
    recorder.observe("cogctl_note", 1, text='quote " backslash \\ newline \n')
    text = recorder.render()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["cogctl_http_request_duration_seconds"].type == "histogram"
    assert families["cogctl_http_requests"].type == "counter"
    assert families["cogctl_apply_duration_seconds"].type == "gauge"
    assert text.count("# TYPE cogctl_http_requests_total counter") == 1
    assert "_created" not in text  # per-run counters: creation times would only add noise
    samples = _samples(text)
    assert samples[("cogctl_apply_duration_seconds", _labels(environment="staging"))] == 12.5
    assert samples[("cogctl_apply_changes", ())] == 3
    assert samples[("cogctl_note", _labels(text='quote " backslash \\ newline \n'))] == 1
    for line in text.splitlines():
        assert line.startswith("#") or line.split(" ")[0][0].isalpha()


def test_an_empty_recorder_renders_headers_only() -> None:
    text = metrics.MetricsRecorder().render()
    assert _samples(text) == {}
    assert "# TYPE cogctl_http_requests_total counter" in text


def test_observe_keeps_the_last_value() -> None:
    recorder = metrics.MetricsRecorder()
    recorder.observe("cogctl_plan_changes", 1, bot="a")
    recorder.observe("cogctl_plan_changes", 4, bot="a")
    recorder.observe("cogctl_plan_changes", 2, bot="b")
    samples = _samples(recorder.render())
    assert samples[("cogctl_plan_changes", _labels(bot="a"))] == 4
    assert samples[("cogctl_plan_changes", _labels(bot="b"))] == 2


@pytest.mark.parametrize(
    ("name", "labels", "message"),
    [
        ("bad name", {}, "invalid metric name"),
        ("1st", {}, "invalid metric name"),
        ("cogctl_http_requests_total", {}, "reserved"),
        ("cogctl_ok", {"bad-label": "x"}, "invalid label name"),
        ("cogctl_ok", {"__reserved": "x"}, "invalid label name"),
    ],
)
def test_observe_refuses_invalid_names(name: str, labels: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        metrics.MetricsRecorder().observe(name, 1.0, **labels)


def test_write_replaces_the_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out" / "cogctl.prom"
    recorder = metrics.MetricsRecorder()
    recorder.on_request(_event("GET", "/api/v1/bots", 200))
    recorder.write(target)
    first = target.read_text(encoding="utf-8")
    assert first == recorder.render()
    recorder.on_request(_event("GET", "/api/v1/bots", 200))
    recorder.write(target)
    assert target.read_text(encoding="utf-8") != first
    assert sorted(os.listdir(target.parent)) == ["cogctl.prom"]  # no temp files left behind
    assert target.stat().st_mode & 0o777 == 0o644


def test_write_to_an_impossible_path_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(errors.CogctlError, match="cannot write the metrics file"):
        metrics.MetricsRecorder().write(blocker / "m.prom")


def test_recorder_counts_what_it_observes_as_a_request_observer() -> None:
    recorder = metrics.MetricsRecorder()
    observer: base.RequestObserver = recorder
    observer.on_request(_event("GET", "/api/v1/bots", 200))
    observer.on_request(_event("GET", "/api/v1/bots", 200))
    text = recorder.render()
    lines = [line for line in text.splitlines()
             if line.startswith("cogctl_http_requests_total{") and 'status="200"' in line]
    assert len(lines) == 1, text
    assert lines[0].endswith(" 2.0")
