"""A fake GitHub REST API keeping comments, issues and pull requests in dicts.

Serves the calls ``reconciler.github.publishing`` makes, with GitHub's pagination (``Link`` headers),
its 65,536-character body limit, bearer-token checks and injectable faults. Usable through
``httpx.MockTransport`` (``transport()``) or as an ASGI app over real HTTP (``asgi()``).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

import httpx

from reconciler.backend.httpkit import retrying
from reconciler.core import plans, writebodies, writetypes
from reconciler.github import api, publishing

T = TypeVar("T")
TOKEN = "ghs_test_token"
BODY_LIMIT = 65_536
REPO = publishing.Repository("octo", "bots")
NOW = 1_800_000_000.0


@dataclass
class Fault:
    """Answer ``status`` to the next request matching ``method`` (and ``path_re``).

    ``commit`` performs the request first, then answers the fault (a lost answer).
    """

    method: str
    status: int
    path_re: str = ".*"
    headers: dict[str, str] = field(default_factory=dict)
    commit: bool = False
    times: int = 1


@dataclass
class FakeGitHub:
    owner: str = "octo"
    repo: str = "bots"
    per_page_cap: int = 100
    link_base: str = "https://api.github.test"
    api_url: str = "http://127.0.0.1:9"  # where it is served, once it is
    drop_labels: bool = False  # as GitHub does for tokens that may not set labels
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> issue / PR
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)  # sha -> PR numbers
    faults: list[Fault] = field(default_factory=list)
    repository_id: int = 4242
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # newest last
    blobs: dict[int, bytes] = field(default_factory=dict)  # artifact id -> zip archive
    blob_base: str = "https://blob.github.test"  # storage: another origin than the API
    blob_auth: list[str | None] = field(default_factory=list)  # Authorization seen by storage
    log: list[tuple[str, str, int]] = field(default_factory=list)
    _next_id: int = 1000

    # --- setup helpers ------------------------------------------------------------------
    def add_pull(self, number: int, *, merged_sha: str | None = None) -> None:
        self.issues[number] = {
            "number": number, "title": f"PR {number}", "body": "", "state": "open",
            "labels": [], "pull_request": {"url": "x"},
            "merged_at": "2026-01-01T00:00:00Z" if merged_sha else None,
            "merge_commit_sha": merged_sha,
        }
        if merged_sha:
            self.commit_pulls.setdefault(merged_sha, []).append(number)

    def add_comment(self, issue: int, body: str, *, user: str = "someone") -> int:
        self._next_id += 1
        self.comments[self._next_id] = {
            "id": self._next_id, "issue": issue, "body": body, "user": {"login": user},
            "html_url": f"https://github.test/{self.owner}/{self.repo}/pull/{issue}"
            f"#issuecomment-{self._next_id}",
        }
        return self._next_id

    def add_artifact(self, name: str, archive: bytes | None, *, branch: str = "main",
                     run_id: int = 1, expired: bool = False,
                     head_repository_id: int | None = None) -> int:
        """An artifact of a workflow run; ``archive`` None: listed but gone (expired)."""
        self._next_id += 1
        head = self.repository_id if head_repository_id is None else head_repository_id
        self.artifacts.append({
            "id": self._next_id, "name": name, "expired": expired,
            "size_in_bytes": len(archive or b""),
            "created_at": f"2026-11-{10 + len(self.artifacts):02d}T00:00:00Z",
            "workflow_run": {"id": run_id, "repository_id": self.repository_id,
                             "head_repository_id": head, "head_branch": branch},
        })
        if archive is not None:
            self.blobs[self._next_id] = archive
        return self._next_id

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == issue]

    def writes(self) -> list[tuple[str, str, int]]:
        return [entry for entry in self.log if entry[0] != "GET"]

    # --- the API ------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, query: dict[str, str], body: Any, auth: str | None
    ) -> tuple[int, dict[str, str], Any]:
        status, headers, data = self._answer(method, path, query, body, auth)
        self.log.append((method, path, status))
        return status, headers, data

    def _answer(self, method: str, path: str, query: dict[str, str], body: Any,
                auth: str | None) -> tuple[int, dict[str, str], Any]:
        fault = self._take_fault(method, path)
        if fault is not None and not fault.commit:
            return fault.status, fault.headers, {"message": f"fault {fault.status}"}
        if path.startswith("/_blobs/"):  # the storage behind a download: signed URL, no token
            self.blob_auth.append(auth)
            blob = self.blobs.get(int(path.rsplit("/", 1)[1]))
            return (200, {}, blob) if blob is not None else (404, {}, {"message": "gone"})
        if auth != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials"}
        prefix = f"/repos/{self.owner}/{self.repo}"
        if method == "GET" and path == prefix:
            return 200, {}, {"id": self.repository_id, "full_name": f"{self.owner}/{self.repo}"}
        if not path.startswith(prefix):
            return 404, {}, {"message": "Not Found"}
        if isinstance(body, dict) and len(str(body.get("body") or "")) > BODY_LIMIT:
            return 422, {}, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}
        route = self._route(method, path[len(prefix):])
        if route is None:
            return 404, {}, {"message": "Not Found"}
        handler, args = route
        status, headers, data = handler(*args, query=query, body=body)
        if fault is not None:
            return fault.status, fault.headers, {"message": f"fault {fault.status} after commit"}
        return status, headers, data

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and re.search(fault.path_re, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _route(self, method: str, rest: str) -> tuple[Callable[..., Any], tuple[Any, ...]] | None:
        table: list[tuple[str, str, Callable[..., Any]]] = [
            ("GET", r"/issues/(\d+)/comments", self._list_comments),
            ("POST", r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", r"/issues/comments/(\d+)", self._update_comment),
            ("GET", r"/issues", self._list_issues),
            ("POST", r"/issues", self._create_issue),
            ("PATCH", r"/issues/(\d+)", self._update_issue),
            ("GET", r"/commits/([0-9a-f]+)/pulls", self._commit_pulls),
            ("GET", r"/actions/artifacts", self._list_artifacts),
            ("GET", r"/actions/artifacts/(\d+)/zip", self._download_artifact),
        ]
        for verb, pattern, handler in table:
            match = re.fullmatch(pattern, rest)
            if verb == method and match:
                return handler, tuple(int(g) if g.isdigit() else g for g in match.groups())
        return None

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]
              ) -> tuple[int, dict[str, str], Any]:
        per_page = min(int(query.get("per_page", "30")), self.per_page_cap)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {}
        if page * per_page < len(items):
            nxt = urlencode({**query, "page": str(page + 1)})
            headers["link"] = f'<{self.link_base}{path}?{nxt}>; rel="next"'
        return 200, headers, chunk

    def _list_comments(self, issue: int, *, query: dict[str, str], body: Any) -> Any:
        if issue not in self.issues:
            return 404, {}, {"message": "Not Found"}
        path = f"/repos/{self.owner}/{self.repo}/issues/{issue}/comments"
        return self._page(self.comments_on(issue), path, query)

    def _create_comment(self, issue: int, *, query: dict[str, str], body: Any) -> Any:
        if issue not in self.issues:
            return 404, {}, {"message": "Not Found"}
        new_id = self.add_comment(issue, body["body"], user="github-actions[bot]")
        return 201, {}, self.comments[new_id]

    def _update_comment(self, comment_id: int, *, query: dict[str, str], body: Any) -> Any:
        if comment_id not in self.comments:
            return 404, {}, {"message": "Not Found"}
        self.comments[comment_id]["body"] = body["body"]
        return 200, {}, self.comments[comment_id]

    def _list_issues(self, *, query: dict[str, str], body: Any) -> Any:
        state = query.get("state", "open")
        labels = set(filter(None, query.get("labels", "").split(",")))
        items = [
            i for i in sorted(self.issues.values(), key=lambda i: -i["number"])
            if (state == "all" or i["state"] == state)
            and labels <= {label["name"] for label in i["labels"]}
        ]
        return self._page(items, f"/repos/{self.owner}/{self.repo}/issues", query)

    def _create_issue(self, *, query: dict[str, str], body: Any) -> Any:
        number = max(self.issues, default=0) + 1
        self.issues[number] = {
            "number": number, "title": body["title"], "body": body.get("body", ""),
            "state": "open",
            "labels": [] if self.drop_labels else [{"name": n} for n in body.get("labels", [])],
            "html_url": f"https://github.test/{self.owner}/{self.repo}/issues/{number}",
        }
        return 201, {}, self.issues[number]

    def _update_issue(self, number: int, *, query: dict[str, str], body: Any) -> Any:
        if number not in self.issues:
            return 404, {}, {"message": "Not Found"}
        self.issues[number].update({k: v for k, v in body.items() if k in ("body", "state", "title")})
        return 200, {}, self.issues[number]

    def _commit_pulls(self, sha: str, *, query: dict[str, str], body: Any) -> Any:
        return 200, {}, [self.issues[n] for n in self.commit_pulls.get(sha, [])]

    def _list_artifacts(self, *, query: dict[str, str], body: Any) -> Any:
        named = [a for a in reversed(self.artifacts)
                 if not query.get("name") or a["name"] == query["name"]]
        per_page = min(int(query.get("per_page", "30")), self.per_page_cap)
        page = int(query.get("page", "1"))
        chunk = named[(page - 1) * per_page: page * per_page]
        return 200, {}, {"total_count": len(named), "artifacts": chunk}

    def _download_artifact(self, artifact_id: int, *, query: dict[str, str], body: Any) -> Any:
        if artifact_id not in self.blobs:
            return 410, {}, {"message": "Artifact has expired"}
        return 302, {"location": f"{self.blob_base}/_blobs/{artifact_id}"}, {}

    # --- adapters -----------------------------------------------------------------------
    def transport(self) -> httpx.MockTransport:
        def serve(request: httpx.Request) -> httpx.Response:
            query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
            body = json.loads(request.content) if request.content else None
            status, headers, data = self.handle(
                request.method, request.url.path, query, body, request.headers.get("authorization")
            )
            if isinstance(data, bytes):
                return httpx.Response(status, headers=headers, content=data)
            return httpx.Response(status, headers=headers, json=data)

        return httpx.MockTransport(serve)

    def asgi(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        async def serve(request: Request) -> Response:
            raw = await request.body()
            status, headers, data = self.handle(
                request.method, request.url.path, dict(request.query_params),
                json.loads(raw) if raw else None, request.headers.get("authorization"),
            )
            if isinstance(data, bytes):
                return Response(data, status_code=status, headers=headers,
                                media_type="application/zip")
            return JSONResponse(data, status_code=status, headers=headers)

        methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
        return Starlette(routes=[Route("/{path:path}", serve, methods=methods)])


def run(
    fake: FakeGitHub,
    action: Callable[[api.GitHubClient], Awaitable[T]],
    sleeps: list[float] | None = None,
) -> T:
    """Run ``action`` with a client on the fake; sleeps are recorded, never waited."""

    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    policy = retrying.RetryPolicy(sleep=sleep, jitter=lambda: 0.5, clock=lambda: 0.0,
                                  max_wait_seconds=60.0)

    async def go() -> T:
        async with api.GitHubClient(
            token=TOKEN, api_url="https://api.github.test", transport=fake.transport(),
            retry=policy, wall_clock=lambda: NOW,
        ) as client:
            return await action(client)

    return asyncio.run(go())


def saved_plan(*, creates: int = 1, updates: int = 0, deletes: int = 0,
               fingerprint: str = "sha256:" + "a" * 64) -> plans.Plan:
    """A plan with the given numbers of slot changes, as ``planning`` would build it."""
    changes: list[plans.Change] = []

    def body(name: str, pattern: str) -> writetypes.SlotBody:
        return writebodies.slot_body(bot_id="bot_s", name=name, slot_type="regex",
                                     patterns=[pattern], fill_strategy="bestMatch",
                                     dependency_ids=(), labels={})

    for n in range(creates):
        after: plans.JsonObject = {
            "type": "regex", "patterns": [f"^ORD-{n}$"], "fillStrategy": "bestMatch",
        }
        changes.append(plans.Change(
            address=f"Slot/support/new_{n}", kind="Slot", bot="support", bot_id="bot_s",
            name=f"new_{n}", action=plans.Action.CREATE, reason="new in manifests",
            drift=False, before=None, after=after, write=body(f"new_{n}", f"^ORD-{n}$"),
            diff=(plans.FieldDiff("spec.patterns", None, after["patterns"]),),
        ))
    for n in range(updates):
        before: plans.JsonObject = {"patterns": [f"^A{n}$"]}
        after = {"patterns": [f"^B{n}$"]}
        changes.append(plans.Change(
            address=f"Slot/support/upd_{n}", kind="Slot", bot="support", bot_id="bot_s",
            name=f"upd_{n}", action=plans.Action.UPDATE, reason="spec.patterns[0] changed",
            drift=False, before=before, after=after, write=body(f"upd_{n}", f"^B{n}$"),
            live_id=f"slot_u{n}",
            live_version="3", diff=(plans.FieldDiff("spec.patterns[0]", f"^A{n}$", f"^B{n}$"),),
        ))
    for n in range(deletes):
        changes.append(plans.Change(
            address=f"Slot/support/old_{n}", kind="Slot", bot="support", bot_id="bot_s",
            name=f"old_{n}", action=plans.Action.DELETE,
            reason="not in manifests, labelled managed-by: cogctl", drift=False,
            before={"patterns": ["x"]}, after=None, live_id=f"slot_o{n}", live_version="1",
        ))
    return plans.Plan(target="staging", fingerprint=fingerprint, changes=tuple(changes))
