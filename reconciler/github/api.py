"""A small client for the GitHub REST API: the few calls pull-request comments and drift
issues need, sent through the HTTP toolkit with the same retry discipline as the Platform
client.

Policy (``reconciler.backend.httpkit.retrying``, the one policy): transport errors, 429,
500/502/503/504 and GitHub's rate-limit 403s (a ``Retry-After`` or ``x-ratelimit-remaining:
0``) are retried with full-jitter backoff, never sooner than ``Retry-After`` or
``x-ratelimit-reset`` ask; a wait beyond the policy's cap gives up with one line saying when
to retry. A POST is never repeated here: a creation whose answer was lost may have happened,
so callers (``reconciler.github.publishing``) look again before creating again.
Every other failure raises at once, one clear line naming the GitHub API, the request and
what to do (the origin ``GITHUB``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from reconciler import errors
from reconciler.backend.httpkit import failures, retrying, sending
from reconciler.clock import Clock
from reconciler.jsontypes import Json
from reconciler.manifests import rules

LOGGER = logging.getLogger("reconciler.github")
DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100

JsonObject = dict[str, Any]


def _said(body: Json) -> failures.Said:
    """GitHub's error body: ``{"message": ..., "documentation_url": ...}``; no error code."""
    message = body.get("message") if isinstance(body, dict) else None
    return None, " ".join(message.split()) if isinstance(message, str) else "", []


def _rate_limit(status: int, headers: Mapping[str, str], now: Clock) -> failures.RateLimit | None:
    """GitHub answers a rate limit with 429, or 403 and a Retry-After or a spent quota."""
    if status not in (403, 429):
        return None
    wait = retrying.parse_retry_after(headers.get("retry-after"), now=now)
    if wait is None and headers.get("x-ratelimit-remaining") == "0":
        try:
            wait = max(0.0, float(headers["x-ratelimit-reset"]) - now())
        except (KeyError, ValueError):
            wait = None
    if wait is None and status == 403:
        return None
    return failures.RateLimit(wait)


GITHUB = failures.Origin(
    "GitHub API",
    hints={
        "unauthorized": "check that GITHUB_TOKEN is set and valid",
        "forbidden": "give the job the permission this call needs "
        "(pull-requests: write for comments, issues: write for drift issues)",
        "not_found": "check GITHUB_REPOSITORY and the pull request or issue number",
        "rejected": "GitHub rejected the content",
        "rate_limited": "GitHub's rate limit; re-run the job once it resets",
        "server": "GitHub is failing; re-run the job later",
        "transport": "check GITHUB_API_URL and the network, then re-run the job",
    },
    read=_said,
    rate_limit=_rate_limit,
)


class GitHubClient:
    """One pooled HTTP client for api.github.com (or ``GITHUB_API_URL``).

    Invariant: every method returns parsed JSON or raises a ``reconciler.errors.BackendError``.
    """

    def __init__(
        self,
        *,
        token: str,
        api_url: str = DEFAULT_API_URL,
        transport: sending.Transport | None = None,
        retry: retrying.RetryPolicy | None = None,
        wall_clock: Clock = time.time,
    ) -> None:
        if transport is None:
            try:  # the token travels only over https, or http to loopback (a local stand-in)
                rules.check_tenant_url(api_url)
            except ValueError as exc:
                raise errors.ConfigError(f"GitHub API URL: {exc}") from None
        self._http = sending.Client(
            origin=GITHUB,
            base_url=api_url.rstrip("/"),
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "cogctl",
            },
        )
        self._retry = retry or retrying.RetryPolicy(max_wait_seconds=60.0, total_seconds=300.0)
        self._wall_clock = wall_clock

    @property
    def retry_policy(self) -> retrying.RetryPolicy:
        return self._retry

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: JsonObject | None = None,
    ) -> sending.Reply:
        return await self._http.request(
            method, url, params=params, json=body, policy=self._retry,
            repeatable=method != "POST", logger=LOGGER, now=self._wall_clock,
        )

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        return _json(await self._send("GET", path, params=params), "GET", path)

    async def post(self, path: str, body: JsonObject) -> JsonObject:
        return _object(_json(await self._send("POST", path, body=body), "POST", path), path)

    async def patch(self, path: str, body: JsonObject) -> JsonObject:
        return _object(_json(await self._send("PATCH", path, body=body), "PATCH", path), path)

    async def download(self, path: str, *, limit: int) -> bytes:
        """The bytes behind ``path`` (an archive), following GitHub's redirect to its storage,
        which never sees the token; more than ``limit`` bytes is refused."""
        return await self._http.download(path, limit=limit, policy=self._retry, logger=LOGGER,
                                         now=self._wall_clock)

    async def paginate(
        self, path: str, *, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[JsonObject]:
        """Every item of a list endpoint, following ``Link: rel="next"`` page by page."""
        url: str | None = path
        query: Mapping[str, str] | None = {**(params or {}), "per_page": str(PER_PAGE)}
        while url is not None:
            response = await self._send("GET", url, params=query)
            items = _json(response, "GET", path)
            if not isinstance(items, list):
                raise errors.BackendError(
                    f"{GITHUB.name} GET {path}: expected a list, got {type(items).__name__}",
                    method="GET", path=path,
                )
            for item in items:
                yield _object(item, path)
            next_link = response.links.get("next")
            # The next link carries the whole query already.
            url, query = (next_link, None) if next_link else (None, None)


def _json(reply: sending.Reply, method: str, path: str) -> Any:
    try:
        return reply.json()
    except ValueError:
        raise errors.BackendError(
            f"{GITHUB.name} {method} {path} answered {reply.status} without JSON",
            method=method, path=path, status=reply.status,
            hint="check GITHUB_API_URL points at the GitHub REST API",
        ) from None


def _object(value: Any, path: str) -> JsonObject:
    if not isinstance(value, dict):
        raise errors.BackendError(
            f"{GITHUB.name} {path}: expected an object, got {type(value).__name__}", path=path
        )
    return value
