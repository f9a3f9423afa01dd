"""Drift issues and reviewed plans against a fake GitHub API (httpx.MockTransport)."""

from __future__ import annotations

import pytest
from fakegithub import REPO, FakeGitHub, Fault, run

from reconciler.github import planstamps, publishing

RUN_URL = "https://github.test/octo/bots/actions/runs/1"


def sync(fake: FakeGitHub, environment: str, body: str, *, drifted: bool) -> publishing.Outcome:
    return run(fake, lambda c: publishing.sync_drift_issue(
        c, REPO, environment=environment, body=body, drifted=drifted, run_url=RUN_URL), [])


def open_issues(fake: FakeGitHub) -> list[dict[str, object]]:
    return [i for i in fake.issues.values() if i["state"] == "open" and "pull_request" not in i]


def test_drift_opens_one_issue_updates_it_and_closes_it_when_gone() -> None:
    fake = FakeGitHub()
    assert sync(fake, "prod", "1 object drifted", drifted=True).action == "created"
    assert sync(fake, "prod", "1 object drifted", drifted=True).action == "unchanged"
    assert sync(fake, "prod", "2 objects drifted", drifted=True).action == "updated"
    [issue] = open_issues(fake)
    assert issue["title"] == "Drift detected in prod"
    assert str(issue["body"]).endswith("2 objects drifted")
    assert issue["labels"] == [{"name": publishing.DRIFT_LABEL}]

    closed = sync(fake, "prod", "no drift", drifted=False)
    assert (closed.action, closed.number) == ("closed", issue["number"])
    assert open_issues(fake) == []
    [note] = fake.comments_on(int(str(issue["number"])))
    assert note["body"] == f"No drift in prod any more ({RUN_URL})."


def test_no_drift_and_no_issue_writes_nothing() -> None:
    fake = FakeGitHub()
    assert sync(fake, "prod", "clean", drifted=False).action == "none"
    assert fake.writes() == []


def test_environments_have_separate_issues_and_others_are_untouched() -> None:
    fake = FakeGitHub()
    fake.issues[1] = {"number": 1, "title": "bug", "body": "unrelated", "state": "open",
                      "labels": [{"name": publishing.DRIFT_LABEL}]}
    sync(fake, "prod", "prod drift", drifted=True)
    sync(fake, "staging", "staging drift", drifted=True)
    sync(fake, "prod", "prod drift", drifted=True)
    assert len(open_issues(fake)) == 3
    sync(fake, "staging", "clean", drifted=False)
    titles = sorted(str(i["title"]) for i in open_issues(fake))
    assert titles == ["Drift detected in prod", "bug"]
    assert fake.issues[1]["body"] == "unrelated"


def test_drift_after_a_closed_issue_opens_a_new_one() -> None:
    fake = FakeGitHub()
    first = sync(fake, "prod", "drift", drifted=True)
    sync(fake, "prod", "clean", drifted=False)
    second = sync(fake, "prod", "drift again", drifted=True)
    assert second.action == "created"
    assert second.number != first.number
    assert len(open_issues(fake)) == 1


def test_lost_issue_creation_is_not_duplicated() -> None:
    fake = FakeGitHub()
    fake.faults.append(Fault("POST", 503, r"/issues$", commit=True))
    sync(fake, "prod", "drift", drifted=True)
    assert len(open_issues(fake)) == 1


def stamp(fingerprint: str = "sha256:aaa", create: int = 1) -> planstamps.PlanStamp:
    return planstamps.PlanStamp("staging", fingerprint, create, 0, 0, "sha256:" + "0" * 64)


def test_the_stamp_shown_on_the_merged_pull_request_is_found() -> None:
    fake = FakeGitHub()
    fake.add_pull(3, merged_sha="abc123")
    fake.add_pull(4)
    fake.add_comment(3, f"{publishing.marker_comment('cogctl-plan:staging')}\nplan\n"
                        f"{stamp('sha256:old').render()}")
    fake.add_comment(3, f"{publishing.marker_comment('cogctl-plan:prod')}\nplan\n"
                        f"{stamp('sha256:prod').render()}")

    async def find(client: object) -> tuple[object, object]:
        assert isinstance(client, publishing.api.GitHubClient)
        pull = await publishing.merged_pull_request(client, REPO, "abc123")
        assert pull is not None
        found = await publishing.shown_stamp(client, REPO, int(pull["number"]),
                                         environment="staging")
        return pull["number"], found

    number, found = run(fake, find)
    assert number == 3
    assert found == stamp("sha256:old")


def test_a_commit_without_merged_pull_request_has_none() -> None:
    fake = FakeGitHub()
    fake.add_pull(4)
    assert run(fake, lambda c: publishing.merged_pull_request(c, REPO, "def456")) is None


@pytest.mark.parametrize(("shown", "fresh", "expected"), [
    (stamp(), stamp(), []),
    (stamp("sha256:a"), stamp("sha256:b"), ["live state changed"]),
    (stamp(create=1), stamp(create=2), ["create count 1 -> 2"]),
])
def test_stamp_differences(shown: planstamps.PlanStamp, fresh: planstamps.PlanStamp,
                           expected: list[str]) -> None:
    found = planstamps.differences(shown, fresh)
    assert len(found) == len(expected)
    for line, start in zip(found, expected, strict=True):
        assert line.startswith(start)


def test_an_issue_whose_label_was_dropped_is_still_found() -> None:
    fake = FakeGitHub(drop_labels=True)
    sync(fake, "prod", "drift", drifted=True)
    assert sync(fake, "prod", "more drift", drifted=True).action == "updated"
    assert len(open_issues(fake)) == 1
    assert sync(fake, "prod", "clean", drifted=False).action == "closed"
