"""Retraining jobs by the clock, the trained snapshot, engine failures, extraction metrics."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator.platform import TenantState, create_app

from .conftest import Api, Authed, FakeClock, slot_body

RETRAIN = "/api/v1/bots/bot_support/nlp/retrain"
METRICS = "/api/v1/bots/bot_support/analytics/slots/{}/extraction"


def _job(admin: Authed, job_id: str) -> dict[str, object]:
    answer = admin.get(f"/api/v1/nlp/jobs/{job_id}")
    assert answer.status_code == 200
    return dict(answer.json())


def test_job_moves_by_the_clock_and_sets_the_model_version(
    admin: Authed, clock: FakeClock
) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    job_id = admin.post(RETRAIN).json()["jobId"]
    job = _job(admin, job_id)
    assert (job["status"], job["progress"], job["modelVersion"]) == ("queued", 0.0, None)
    clock.advance(5.5)  # trainingSeconds 10: queued for 1 s, running for 9 s
    job = _job(admin, job_id)
    assert job["status"] == "running"
    assert job["progress"] == 0.5
    assert job["startedAt"] is not None
    assert job["finishedAt"] is None
    assert admin.post(RETRAIN).json()["jobId"] == job_id
    clock.advance(4.5)
    job = _job(admin, job_id)
    assert job["status"] == "succeeded"
    assert job["progress"] == 1.0
    assert job["error"] is None
    assert admin.get("/api/v1/bots/bot_support").json()["modelVersion"] == job["modelVersion"]
    again = admin.post(RETRAIN).json()["jobId"]
    assert again != job_id


def test_metrics_not_ready_until_trained_and_after_a_change(
    admin: Authed, clock: FakeClock
) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    not_ready = admin.get(METRICS.format("s1"))
    assert not_ready.status_code == 404
    assert not_ready.json()["error"] == "metrics_not_ready"
    admin.post(RETRAIN)
    clock.advance(10)
    ready = admin.get(METRICS.format("s1"))
    assert ready.status_code == 200
    body = ready.json()
    # (?i)(ORD-\d+) extracts "ord-99999" from the second utterance, which expects ORD-99999
    assert (body["successRate"], body["sampleSize"]) == (0.75, 4)
    assert body["timeRange"] == "last24h"
    admin.put("/api/v1/slots/s1", json=slot_body(patterns=[r"ORD-\d+"]))
    assert admin.get(METRICS.format("s1")).json()["error"] == "metrics_not_ready"


def test_the_model_is_the_slots_when_training_started(admin: Authed, clock: FakeClock) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body(patterns=["nomatch"]))
    admin.post(RETRAIN)
    clock.advance(0.5)  # still queued: the change below is trained
    admin.put("/api/v1/slots/s1", json=slot_body(patterns=[r"ORD-\d+"]))
    clock.advance(1.0)  # running: the change below is not trained
    admin.put("/api/v1/slots/s2", json=slot_body("later", patterns=["x"]))
    clock.advance(9)
    assert admin.get(METRICS.format("s1")).json()["successRate"] == 0.75
    assert admin.get(METRICS.format("s2")).json()["error"] == "metrics_not_ready"


def test_a_pattern_re2_refuses_fails_the_job_naming_the_slot(
    admin: Authed, clock: FakeClock
) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    admin.post(RETRAIN)
    clock.advance(10)
    trained = admin.get("/api/v1/bots/bot_support").json()["modelVersion"]
    lookahead = admin.put("/api/v1/slots/s2", json=slot_body(
        "order_ref", patterns=[r"ORD-(?=\d)\d+"], triggerRetrain=True))
    assert lookahead.status_code == 201  # Python re accepts it
    clock.advance(10)
    job = _job(admin, lookahead.headers["X-Retrain-Job"])
    assert job["status"] == "failed"
    assert "order_ref" in str(job["error"])
    assert "s2" in str(job["error"])
    assert job["modelVersion"] is None
    assert admin.get("/api/v1/bots/bot_support").json()["modelVersion"] == trained


def test_metrics_parameters(admin: Authed) -> None:
    admin.put("/api/v1/slots/s1", json=slot_body())
    assert admin.get(METRICS.format("s1") + "?timeRange=lastYear").status_code == 400
    assert admin.get(METRICS.format("s1") + "?metric=recall").status_code == 400
    assert admin.get(METRICS.format("nope")).json()["error"] == "not_found"


def test_zero_training_seconds_finish_at_once(state: TenantState, clock: FakeClock) -> None:
    state.settings.trainingSeconds = 0
    admin = Api(create_app(state, clock=clock)).as_client()
    admin.put("/api/v1/slots/s1", json=slot_body())
    job_id = admin.post(RETRAIN).json()["jobId"]
    assert _job(admin, job_id)["status"] == "succeeded"


def test_training_survives_save_and_load(state: TenantState, clock: FakeClock, tmp_path: Path) -> None:
    admin = Api(create_app(state, clock=clock)).as_client()
    admin.put("/api/v1/slots/s1", json=slot_body())
    job_id = admin.post(RETRAIN).json()["jobId"]
    clock.advance(3)
    state.save(tmp_path / "tenant.json")
    loaded = TenantState.load(tmp_path / "tenant.json")
    restarted = Api(create_app(loaded, clock=clock))
    admin = Authed(restarted, admin.token)
    assert _job(admin, job_id)["status"] == "running"
    clock.advance(7)
    assert _job(admin, job_id)["status"] == "succeeded"
    assert admin.get(METRICS.format("s1")).status_code == 200
