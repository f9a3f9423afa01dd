"""Sticky comments and drift issues against a fake GitHub API (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fakegithub import NOW, REPO, FakeGitHub, Fault, run, saved_plan

from reconciler import errors
from reconciler.github import api, planstamps, publishing
from reconciler.rendering import jsonout, markdown

MARKER = publishing.marker_comment("cogctl-plan:staging")


def upsert(fake: FakeGitHub, body: str, *, marker: str = MARKER, pr: int = 7,
           sleeps: list[float] | None = None) -> publishing.Outcome:
    text = publishing.fit_body(body, marker=marker)
    return run(fake, lambda c: publishing.upsert_comment(c, REPO, pr, marker=marker, body=text),
               sleeps)


@pytest.fixture
def fake() -> FakeGitHub:
    gh = FakeGitHub()
    gh.add_pull(7)
    return gh


def test_first_run_creates_second_updates_in_place_and_others_stay(fake: FakeGitHub) -> None:
    other_bot = fake.add_comment(7, "<!-- tfcmt:plan -->\nsomeone else's plan", user="tfcmt[bot]")
    quoting = fake.add_comment(7, f"quoting {MARKER} in a review", user="alice")
    first = upsert(fake, "Plan: 1 to add")
    second = upsert(fake, "Plan: 2 to add")

    assert (first.action, second.action) == ("created", "updated")
    assert first.number == second.number
    ours = [c for c in fake.comments_on(7) if c["body"].startswith(MARKER)]
    assert len(ours) == 1
    assert ours[0]["body"] == f"{MARKER}\nPlan: 2 to add"
    assert fake.comments[other_bot]["body"] == "<!-- tfcmt:plan -->\nsomeone else's plan"
    assert fake.comments[quoting]["body"] == f"quoting {MARKER} in a review"


def test_unchanged_body_makes_no_write(fake: FakeGitHub) -> None:
    upsert(fake, "same")
    fake.log.clear()
    assert upsert(fake, "same").action == "unchanged"
    assert fake.writes() == []


def test_one_comment_per_environment(fake: FakeGitHub) -> None:
    prod = publishing.marker_comment("cogctl-plan:prod")
    upsert(fake, "staging plan")
    upsert(fake, "prod plan", marker=prod)
    upsert(fake, "staging plan again")
    bodies = sorted(c["body"] for c in fake.comments_on(7))
    assert bodies == [f"{prod}\nprod plan", f"{MARKER}\nstaging plan again"]


def test_finds_its_comment_beyond_the_first_pages() -> None:
    fake = FakeGitHub(per_page_cap=10)
    fake.add_pull(7)
    for n in range(35):
        fake.add_comment(7, f"chatter {n}")
    assert upsert(fake, "ours").action == "created"
    assert upsert(fake, "ours, updated").action == "updated"
    assert sum(c["body"].startswith(MARKER) for c in fake.comments_on(7)) == 1
    # 35 comments in pages of 10: four pages to learn ours is missing, four to find it.
    assert sum(1 for m, p, _ in fake.log if m == "GET" and p.endswith("/comments")) == 8


def test_server_error_then_success_is_retried(fake: FakeGitHub, caplog: Any) -> None:
    fake.faults.append(Fault("GET", 503, r"/comments$"))
    sleeps: list[float] = []
    with caplog.at_level(logging.WARNING, logger="reconciler.github"):
        assert upsert(fake, "x", sleeps=sleeps).action == "created"
    assert len(sleeps) == 1
    assert "attempt 1/5 failed, retrying in" in caplog.text
    assert "-> 503" in caplog.text


def test_lost_creation_answer_does_not_duplicate_the_comment(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("POST", 502, r"/comments$", commit=True))
    sleeps: list[float] = []
    outcome = upsert(fake, "x", sleeps=sleeps)
    assert outcome.action == "unchanged"  # found on the second look, already as wanted
    assert len(fake.comments_on(7)) == 1
    assert [m for m, _, _ in fake.writes()] == ["POST"]


def test_forbidden_fails_at_once_with_one_clear_line(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("POST", 403, r"/comments$"))
    with pytest.raises(errors.ForbiddenError) as caught:
        upsert(fake, "x", sleeps=[])
    line = str(caught.value)
    assert "\n" not in line
    assert "POST /repos/octo/bots/issues/7/comments -> 403" in line
    assert "pull-requests: write" in line
    assert [m for m, _, _ in fake.writes()] == ["POST"]


@pytest.mark.parametrize(
    ("headers", "status", "waited_at_least"),
    [
        ({"retry-after": "7"}, 429, 7.0),
        ({"retry-after": "3"}, 403, 3.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 12)}, 403, 12.0),
    ],
)
def test_rate_limits_wait_as_told(
    fake: FakeGitHub, headers: dict[str, str], status: int, waited_at_least: float
) -> None:
    fake.faults.append(Fault("GET", status, r"/comments$", headers=headers))
    sleeps: list[float] = []
    assert upsert(fake, "x", sleeps=sleeps).action == "created"
    assert sleeps
    assert sleeps[0] >= waited_at_least


def test_rate_limit_resetting_too_late_fails_saying_when(fake: FakeGitHub) -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    fake.faults.append(Fault("GET", 403, r"/comments$", headers=headers))
    with pytest.raises(errors.RateLimitedError, match="403 rate limited; retry after 3600s"):
        upsert(fake, "x", sleeps=[])


def test_bad_token_is_a_clear_error() -> None:
    fake = FakeGitHub()
    fake.add_pull(7)

    async def with_wrong_token() -> publishing.Outcome:
        async with api.GitHubClient(token="wrong", api_url="https://api.github.test",
                                          transport=fake.transport()) as client:
            return await publishing.upsert_comment(client, REPO, 7, marker=MARKER, body="x")

    with pytest.raises(errors.UnauthorizedError, match="GITHUB_TOKEN"):
        asyncio.run(with_wrong_token())


def test_too_long_body_is_cut_but_fits_and_keeps_head_and_stamp() -> None:
    stamp = "<!-- cogctl-plan-fingerprint:staging sha256:x create=0 update=0 delete=5000 -->"
    body = "## Summary\n\n> [!CAUTION]\n> 5000 to destroy\n" + "x" * 200_000
    fitted = publishing.fit_body(body, marker=MARKER, trailer=stamp)
    assert len(fitted) <= publishing.BODY_LIMIT
    assert fitted.startswith(f"{MARKER}\n## Summary\n\n> [!CAUTION]\n> 5000 to destroy")
    assert fitted.endswith(stamp)
    assert "Cut to fit" in fitted


def test_body_under_the_limit_is_kept_whole() -> None:
    assert publishing.fit_body(f"{MARKER}\nhello", marker=MARKER) == f"{MARKER}\nhello"
    assert publishing.fit_body("hello", marker=MARKER, trailer="t") == f"{MARKER}\nhello\nt"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("cogctl-plan:staging", "<!-- cogctl-plan:staging -->"),
        ("<!-- cogctl-plan:prod -->", "<!-- cogctl-plan:prod -->"),
        ("  <!--cogctl-plan:eu-1-->  ", "<!-- cogctl-plan:eu-1 -->"),
    ],
)
def test_marker_forms(given: str, expected: str) -> None:
    assert publishing.marker_comment(given) == expected


@pytest.mark.parametrize("bad", ["", "two words", "a-->b", "<!-- x --> y"])
def test_bad_markers_are_refused(bad: str) -> None:
    with pytest.raises(errors.ConfigError, match="marker"):
        publishing.marker_comment(bad)


@pytest.mark.parametrize(
    ("event", "number"),
    [
        ({"pull_request": {"number": 12}, "number": 12}, 12),
        ({"issue": {"number": 5, "pull_request": {}}}, 5),
        ({"issue": {"number": 5}}, None),
        ({"ref": "refs/heads/main"}, None),
        ([], None),
    ],
)
def test_pull_request_number_from_the_event(tmp_path: Path, event: Any, number: int | None
                                            ) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    assert publishing.pull_request_number(path) == number


def test_unreadable_event_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("{not json")
    with pytest.raises(errors.ConfigError, match=r"event\.json"):
        publishing.pull_request_number(path)


def test_a_5000_change_plan_comment_fits_and_keeps_summary_and_deletion_banner(
    fake: FakeGitHub,
) -> None:
    plan = saved_plan(creates=2000, updates=2000, deletes=1000)
    stamp = planstamps.stamp_document(jsonout.plan_document(plan), environment="staging")
    rendered = markdown.render_plan(plan, environment="staging")
    body = publishing.fit_body(rendered, marker=MARKER, trailer=stamp.render())
    outcome = run(fake, lambda c: publishing.upsert_comment(c, REPO, 7, marker=MARKER, body=body))

    assert outcome.action == "created"
    [posted] = fake.comments_on(7)
    text = posted["body"]
    assert len(text) <= publishing.BODY_LIMIT
    assert text.startswith(MARKER)
    assert "| 2000 | 2000 | 1000 |" in text
    assert "This plan **deletes 1000 object(s)**" in text
    # Too many objects to list in a comment: the stamp keeps the whole-plan digests only.
    assert planstamps.find_stamp(text, "staging") == dataclasses.replace(stamp, promises=None)


def test_a_body_of_wide_characters_is_cut_by_utf16_size() -> None:
    fitted = publishing.fit_body("🚀" * 40_000, marker=MARKER, trailer="<!-- stamp -->")
    assert 65_000 < len(fitted.encode("utf-16-le")) // 2 <= publishing.BODY_LIMIT
    assert fitted.endswith("<!-- stamp -->")
    assert fitted.startswith(f"{MARKER}\n🚀🚀")
