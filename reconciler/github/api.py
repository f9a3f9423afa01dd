"""A small client for the GitHub REST API: the few calls pull-request comments and drift
issues need, with the same retry discipline as the Platform client.

Policy (shared with ``reconciler.backend.retrying``, whose policy this module reuses):
transport errors, 429, 500/502/503/504 and GitHub's rate-limit 403s (a ``Retry-After`` or
``x-ratelimit-remaining: 0``) are retried with full-jitter backoff, never sooner than
``Retry-After`` or ``x-ratelimit-reset`` ask; a wait beyond the policy's cap gives up with one
line saying when the limit resets. A POST is never repeated here: a creation whose answer was
lost may have happened, so callers (``reconciler.github.publishing``) look again before creating
again.
Every other failure raises at once, one clear line naming the request and what to do.
httpx exceptions never leave this module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from reconciler import errors
from reconciler.backend import httplog, retrying
from reconciler.clock import Clock
from reconciler.manifests import rules

LOGGER = logging.getLogger("reconciler.github")
DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
# GitHub answers these for a rate limit, with or without a Retry-After.
_RATE_LIMIT_STATUSES = frozenset({403, 429})
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})

JsonObject = dict[str, Any]

_HINTS: Mapping[int, str] = {
    401: "check that GITHUB_TOKEN is set and valid",
    403: "give the job the permission this call needs "
    "(pull-requests: write for comments, issues: write for drift issues)",
    404: "check GITHUB_REPOSITORY and the pull request or issue number",
    422: "GitHub rejected the content",
}


def _message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return response.reason_phrase


def _rate_limit_wait(response: httpx.Response, *, now: float) -> float | None:
    """Seconds GitHub asks us to wait, or None when this answer is not a rate limit."""
    retry_after = response.headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    if response.headers.get("x-ratelimit-remaining") == "0":
        try:
            return max(0.0, float(response.headers["x-ratelimit-reset"]) - now)
        except (KeyError, ValueError):
            return None
    return None


def error_for(
    response: httpx.Response, *, method: str, path: str, now: float
) -> errors.BackendError:
    """Map one GitHub answer to our error tree: the only place a GitHub status is mapped."""
    status = response.status_code
    where = f"GitHub API {method} {path} -> {status}: {_message(response)}"
    kw: dict[str, Any] = {"method": method, "path": path, "status": status}
    if status in _RATE_LIMIT_STATUSES:
        wait = _rate_limit_wait(response, now=now)
        if wait is not None or status == 429:
            resets = f"; it resets in {wait:.0f}s" if wait is not None else ""
            return errors.RateLimitedError(
                where, retry_after=wait, hint=f"GitHub rate limit{resets}", **kw
            )
    hint = _HINTS.get(status)
    if status == 401:
        return errors.UnauthorizedError(where, hint=hint, **kw)
    if status == 403:
        return errors.ForbiddenError(where, hint=hint, **kw)
    if status == 404:
        return errors.NotFoundError(where, hint=hint, **kw)
    if status in (400, 422):
        return errors.RequestRejectedError(where, hint=hint, **kw)
    if status >= 500:
        return errors.ServerError(where, hint="GitHub is failing; re-run the job later", **kw)
    return errors.BackendError(where, **kw)


class GitHubClient:
    """One pooled ``httpx.AsyncClient`` for api.github.com (or ``GITHUB_API_URL``).

    Invariant: every method returns parsed JSON or raises a ``reconciler.errors.BackendError``.
    """

    def __init__(
        self,
        *,
        token: str,
        api_url: str = DEFAULT_API_URL,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: retrying.RetryPolicy | None = None,
        wall_clock: Clock = time.time,
    ) -> None:
        if transport is None:
            try:  # the token travels only over https, or http to loopback (a local stand-in)
                rules.check_tenant_url(api_url)
            except ValueError as exc:
                raise errors.ConfigError(f"GitHub API URL: {exc}") from None
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(30.0, connect=10.0),
            event_hooks=httplog.event_hooks(),
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

    async def _send_once(
        self, method: str, url: str, *, params: Mapping[str, str] | None, body: JsonObject | None
    ) -> httpx.Response:
        path = httpx.URL(url).path
        try:
            response = await self._http.request(method, url, params=params, json=body)
        except httpx.ConnectError as exc:
            raise errors.TransportError(
                f"GitHub API {method} {path}: cannot connect ({exc})",
                method=method, path=path, code=retrying.NOT_SENT,
            ) from exc
        except httpx.HTTPError as exc:
            raise errors.TransportError(
                f"GitHub API {method} {path}: no answer ({type(exc).__name__})",
                method=method, path=path,
            ) from exc
        if response.is_success:
            return response
        raise error_for(response, method=method, path=path, now=self._wall_clock())

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        body: JsonObject | None = None,
    ) -> httpx.Response:
        async def attempt(_: int) -> httpx.Response:
            return await self._send_once(method, url, params=params, body=body)

        return await retrying.call(
            self._retry, attempt, repeatable=method != "POST", logger=LOGGER
        )

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        return (await self._send("GET", path, params=params)).json()

    async def post(self, path: str, body: JsonObject) -> JsonObject:
        return _object((await self._send("POST", path, body=body)).json(), path)

    async def patch(self, path: str, body: JsonObject) -> JsonObject:
        return _object((await self._send("PATCH", path, body=body)).json(), path)

    async def download(self, path: str, *, limit: int) -> bytes:
        """The bytes behind ``path`` (an archive), following GitHub's redirect to its storage.

        The token is not sent on to the storage host (httpx drops ``Authorization`` on a
        redirect to another origin); more than ``limit`` bytes is refused, never buffered.
        """
        async def attempt(_: int) -> bytes:
            try:
                async with self._http.stream("GET", path, follow_redirects=True) as response:
                    if not response.is_success:
                        await response.aread()
                        raise error_for(response, method="GET", path=path,
                                        now=self._wall_clock())
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise errors.BackendError(
                                f"GitHub API GET {path}: more than {limit} bytes",
                                method="GET", path=path)
                        chunks.append(chunk)
                    return b"".join(chunks)
            except httpx.HTTPError as exc:
                raise errors.TransportError(
                    f"GitHub API GET {path}: no answer ({type(exc).__name__})",
                    method="GET", path=path,
                ) from exc

        return await retrying.call(self._retry, attempt, repeatable=True, logger=LOGGER)

    async def paginate(
        self, path: str, *, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[JsonObject]:
        """Every item of a list endpoint, following ``Link: rel="next"`` page by page."""
        url: str | None = path
        query: Mapping[str, str] | None = {**(params or {}), "per_page": str(PER_PAGE)}
        while url is not None:
            response = await self._send("GET", url, params=query)
            items = response.json()
            if not isinstance(items, list):
                raise errors.BackendError(
                    f"GitHub API GET {path}: expected a list, got {type(items).__name__}",
                    method="GET", path=path,
                )
            for item in items:
                yield _object(item, path)
            next_link = response.links.get("next", {}).get("url")
            # The next link carries the whole query already.
            url, query = (next_link, None) if next_link else (None, None)


def _object(value: Any, path: str) -> JsonObject:
    if not isinstance(value, dict):
        raise errors.BackendError(
            f"GitHub API {path}: expected an object, got {type(value).__name__}", path=path
        )
    return value
