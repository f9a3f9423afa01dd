"""Sticky pull-request comments, drift issues and reviewed plans, through the GitHub REST API.

- One comment per environment, found by its hidden marker (``<!-- cogctl-plan:ENV -->``) and
  updated in place, never a new comment per push; other comments are never touched.
- One open drift issue per environment, found by its marker (``<!-- cogctl-drift:ENV -->``)
  among open issues (labelled ``cogctl-drift`` first, then all): updated while drift lasts,
  closed with a note when it is gone, never duplicated.
- Bodies never exceed GitHub's 65,536 characters: a body that would is cut with a note, and
  the plan stamp (``reconciler.github.planstamps``) is always kept at the end.
- A creation whose answer was lost may have happened: before creating again we look again,
  so retries never duplicate a comment or an issue.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reconciler import errors, fileio, jsontypes
from reconciler.backend.httpkit import retrying
from reconciler.core import plandocuments
from reconciler.github import api, planstamps
from reconciler.rendering import jsonout

BODY_LIMIT = 65_536
DRIFT_LABEL = "cogctl-drift"
_MARKER_RE = re.compile(r"^<!--\s*(?P<name>[A-Za-z0-9_.:\-]+)\s*-->$")
_CUT_NOTE = "\n\n> **Cut to fit GitHub's comment limit.** The full plan is in the job summary.\n"


@dataclass(frozen=True)
class Repository:
    owner: str
    name: str

    @classmethod
    def from_slug(cls, slug: str) -> Repository:
        owner, _, name = slug.partition("/")
        if not owner or not name or "/" in name:
            raise errors.ConfigError(
                f"GITHUB_REPOSITORY {slug!r} is not owner/name",
                hint="set GITHUB_REPOSITORY, e.g. octo-org/bots",
            )
        return cls(owner, name)

    @property
    def path(self) -> str:
        return f"/repos/{self.owner}/{self.name}"


@dataclass(frozen=True)
class Outcome:
    """What a sync did: ``action`` is created, updated, unchanged, closed or none."""

    action: Literal["created", "updated", "unchanged", "closed", "none"]
    number: int | None = None
    url: str | None = None


def marker_comment(marker: str) -> str:
    """``cogctl-plan:staging`` or ``<!-- cogctl-plan:staging -->`` -> the HTML comment form."""
    text = marker.strip()
    match = _MARKER_RE.match(text)
    name = match["name"] if match else text
    if not re.fullmatch(r"[A-Za-z0-9_.:\-]+", name):
        raise errors.ConfigError(
            f"marker {marker!r} must be letters, digits and . _ : - only",
            hint="e.g. --marker cogctl-plan:staging",
        )
    return f"<!-- {name} -->"


def fit_body(body: str, *, marker: str, trailer: str = "", limit: int = BODY_LIMIT) -> str:
    """The comment body: marker first, ``trailer`` last, never more than ``limit`` characters.

    The head of the body (summary, deletion banner) is kept; the tail is cut first.
    """
    head = body if body.lstrip().startswith(marker) else f"{marker}\n{body}"
    tail = f"\n{trailer}" if trailer else ""
    if _size(head + tail) <= limit:
        return head + tail
    room = limit - _size(tail) - _size(_CUT_NOTE)
    kept = head[: max(room, len(marker))]
    while _size(kept) > room and len(kept) > len(marker):
        kept = kept[: len(kept) - (_size(kept) - room + 1) // 2 - 1]
    return kept + _CUT_NOTE + tail


def _size(text: str) -> int:
    # Measured in UTF-16 code units, which is never less than in code points: whichever way
    # GitHub counts, a body this size fits.
    return len(text.encode("utf-16-le")) // 2


def pull_request_number(event_path: Path | None) -> int | None:
    """The pull request number of the event in ``GITHUB_EVENT_PATH``, if it has one."""
    if event_path is None:
        return None
    try:
        event = jsontypes.loads(fileio.read_bounded(event_path))
    except (OSError, ValueError) as exc:
        raise errors.ConfigError(f"{event_path}: cannot read the event ({exc})") from exc
    if not isinstance(event, dict):
        return None
    for key in ("pull_request", "issue"):
        holder = event.get(key)
        if isinstance(holder, dict) and isinstance(holder.get("number"), int):
            if key == "issue" and "pull_request" not in holder:
                continue
            return int(holder["number"])
    number = event.get("number")
    return number if isinstance(number, int) and "pull_request" in event else None


async def _find_comment(
    client: api.GitHubClient, repo: Repository, pr: int, marker: str
) -> Mapping[str, Any] | None:
    async for comment in client.paginate(f"{repo.path}/issues/{pr}/comments"):
        if str(comment.get("body") or "").lstrip().startswith(marker):
            return comment
    return None


async def upsert_comment(
    client: api.GitHubClient, repo: Repository, pr: int, *, marker: str, body: str
) -> Outcome:
    """Create or update the one comment on ``pr`` whose body starts with ``marker``."""

    async def attempt(_: int) -> Outcome:
        found = await _find_comment(client, repo, pr, marker)
        if found is None:
            made = await client.post(f"{repo.path}/issues/{pr}/comments", {"body": body})
            return Outcome("created", _id(made), made.get("html_url"))
        if found.get("body") == body:
            return Outcome("unchanged", _id(found), found.get("html_url"))
        made = await client.patch(f"{repo.path}/issues/comments/{_id(found)}", {"body": body})
        return Outcome("updated", _id(made), made.get("html_url"))

    return await _looking_again(client, attempt)


async def _looking_again(
    client: api.GitHubClient, attempt: Callable[[int], Awaitable[Outcome]]
) -> Outcome:
    # The whole find-then-write is the unit that is retried: a POST lost in flight is found
    # by the next look instead of being sent twice.
    return await retrying.call(
        client.retry_policy, attempt, repeatable=True, logger=api.LOGGER
    )


def _id(obj: Mapping[str, Any]) -> int:
    value = obj.get("id") if "id" in obj else obj.get("number")
    if not isinstance(value, int):
        raise errors.BackendError("GitHub API answer without an id", code="bad_answer")
    return value


def drift_marker(environment: str) -> str:
    return marker_comment(f"cogctl-drift:{environment}")


async def _find_open_issue(
    client: api.GitHubClient, repo: Repository, marker: str
) -> Mapping[str, Any] | None:
    # The label narrows the search; GitHub silently drops labels a token may not set, so an
    # unlabelled issue of ours is looked for too rather than opening a duplicate.
    for params in ({"state": "open", "labels": DRIFT_LABEL}, {"state": "open"}):
        async for issue in client.paginate(f"{repo.path}/issues", params=params):
            if "pull_request" in issue:
                continue
            if str(issue.get("body") or "").lstrip().startswith(marker):
                return issue
    return None


async def sync_drift_issue(
    client: api.GitHubClient,
    repo: Repository,
    *,
    environment: str,
    body: str,
    drifted: bool,
    run_url: str | None = None,
) -> Outcome:
    """Open, update or close the one drift issue of ``environment``."""
    marker = drift_marker(environment)
    text = fit_body(body, marker=marker)

    async def attempt(_: int) -> Outcome:
        issue = await _find_open_issue(client, repo, marker)
        if issue is None and not drifted:
            return Outcome("none")
        if issue is None:
            made = await client.post(
                f"{repo.path}/issues",
                {"title": f"Drift detected in {environment}", "body": text,
                 "labels": [DRIFT_LABEL]},
            )
            return Outcome("created", made.get("number"), made.get("html_url"))
        number = int(issue["number"])
        if drifted and issue.get("body") == text:
            return Outcome("unchanged", number, issue.get("html_url"))
        if drifted:
            made = await client.patch(f"{repo.path}/issues/{number}", {"body": text})
            return Outcome("updated", number, made.get("html_url"))
        note = f"No drift in {environment} any more" + (f" ({run_url})." if run_url else ".")
        await client.post(f"{repo.path}/issues/{number}/comments", {"body": note})
        made = await client.patch(
            f"{repo.path}/issues/{number}", {"state": "closed", "state_reason": "completed"}
        )
        return Outcome("closed", number, made.get("html_url"))

    return await _looking_again(client, attempt)


async def merged_pull_request(
    client: api.GitHubClient, repo: Repository, sha: str
) -> Mapping[str, Any] | None:
    """The merged pull request that produced commit ``sha`` (merge, squash or rebase)."""
    pulls = await client.get(f"{repo.path}/commits/{sha}/pulls")
    merged = [
        p for p in (pulls if isinstance(pulls, list) else [])
        if isinstance(p, dict) and p.get("merged_at")
    ]
    exact = [p for p in merged if p.get("merge_commit_sha") == sha]
    chosen = exact or merged
    return chosen[0] if chosen else None


async def shown_stamp(
    client: api.GitHubClient, repo: Repository, pr: int, *, environment: str
) -> planstamps.PlanStamp | None:
    """The plan stamp last shown for ``environment`` in the sticky comment of ``pr``."""
    marker = marker_comment(f"cogctl-plan:{environment}")
    comment = await _find_comment(client, repo, pr, marker)
    if comment is None:
        return None
    return planstamps.find_stamp(str(comment.get("body") or ""), environment)


def load_plan_document(path: Path) -> dict[str, Any]:
    """A plan as ``plan --output json`` shows it, read from that output or a saved plan.

    A saved plan (``plan --out``) also keeps its ``observed`` map (the live version of every
    object it looked at), which the per-object review check needs.
    """
    try:
        data = jsontypes.loads(fileio.read_bounded(path))
    except (OSError, ValueError) as exc:
        raise errors.ConfigError(f"{path}: cannot read the plan ({exc})") from exc
    if not isinstance(data, dict):
        raise errors.ConfigError(f"{path}: not a plan (expected a JSON object)")
    if plandocuments.EXECUTION not in data:
        return data  # as plan --output json printed it: no live versions to compare
    try:
        plan = plandocuments.read_saved(data)
    except errors.ConfigError as exc:
        raise errors.ConfigError(f"{path}: {exc.message}", hint=exc.hint) from exc
    return {**jsonout.plan_document(plan), "observed": dict(plan.observed)}


async def post_refusal(
    client: api.GitHubClient, repo: Repository, pr: int, *, environment: str, body: str
) -> Outcome:
    """The one sticky comment on ``pr`` saying why ``environment`` was not applied."""
    marker = marker_comment(f"cogctl-apply-refused:{environment}")
    return await upsert_comment(client, repo, pr, marker=marker,
                                body=fit_body(body, marker=marker))
