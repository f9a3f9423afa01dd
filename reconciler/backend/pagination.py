"""Walking the contract's offset pages: ``{"data": [...], "total", "limit", "offset"}``.

Pages are asked for 100 at a time (the contract's maximum). The walk ends when a page comes
back empty or the offset reaches ``total``, so a server that under-fills pages still yields
every object, and one that over-reports ``total`` cannot loop forever. Objects seen twice
(another writer shifted the offsets between two pages) are yielded once, by ``id_key``
(when given: objects without an id of their own, such as session variables, are not
deduplicated).

Every walk is bounded: at most ``MAX_PAGES`` pages, and a tenant that ignores ``offset``
(the same page again, or ``MAX_STALE_PAGES`` pages in a row with nothing new) while
reporting a huge ``total`` ends with a ``BackendError`` that says so, never a loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from reconciler import errors, jsontypes
from reconciler.core import livetypes as lt

PAGE_SIZE = 100
MAX_PAGES = 10_000  # a million objects of one kind: far past any real bot
MAX_STALE_PAGES = 3

Page = dict[str, lt.Json]
FetchPage = Callable[[int, int], Awaitable[lt.Json]]


def _page_parts(page: lt.Json, where: str) -> tuple[list[dict[str, lt.Json]], int | None]:
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise errors.BackendError(
            f"GET {where} answered a page without a data list", method="GET", path=where,
            hint="the tenant URL may not point at the Cognigy Platform API",
        )
    total = page.get("total") if isinstance(page, dict) else None
    items: list[dict[str, lt.Json]] = [item for item in data if isinstance(item, dict)]
    return items, total if isinstance(total, int) else None


async def iterate(
    fetch: FetchPage, *, where: str, id_key: str | None, limit: int = PAGE_SIZE
) -> AsyncIterator[dict[str, lt.Json]]:
    """Yield every object of a listing; ``fetch(limit, offset)`` returns one raw page."""
    offset = 0
    seen: set[str] = set()
    pages: set[str] = set()
    stale = 0
    for number in range(1, MAX_PAGES + 1):
        items, total = _page_parts(await fetch(limit, offset), where)
        fresh = 0
        for item in items:
            key = item.get(id_key) if id_key is not None else None
            if isinstance(key, str):
                if key in seen:
                    continue
                seen.add(key)
            fresh += 1
            yield item
        if items:
            digest = jsontypes.dumps(items, sort_keys=True, compact=True)
            stale = stale + 1 if fresh == 0 else 0
            if digest in pages or stale >= MAX_STALE_PAGES:
                raise errors.BackendError(
                    f"GET {where} answered the same objects again at offset {offset} (page "
                    f"{number}): the tenant ignores offset, so its listing cannot be read "
                    "to the end", method="GET", path=where,
                )
            pages.add(digest)
        offset += len(items)
        if not items or (total is not None and offset >= total) or (
            total is None and len(items) < limit
        ):
            return
    raise errors.BackendError(
        f"GET {where} has more than {MAX_PAGES} pages of {limit}: refused to read further",
        method="GET", path=where,
    )


async def collect(
    fetch: FetchPage, *, where: str, id_key: str | None, limit: int = PAGE_SIZE
) -> list[dict[str, lt.Json]]:
    """Every object of a listing, as one list."""
    return [item async for item in iterate(fetch, where=where, id_key=id_key, limit=limit)]
