"""Walking offset pages: full walks, short pages, lying totals, duplicates across pages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from reconciler import errors
from reconciler.backend import pagination
from reconciler.core import livetypes as lt


def _server(items: Sequence[lt.Json], *, total: int | None = None, max_page: int = 100,
            shift_after_first: int = 0) -> tuple[pagination.FetchPage, list[tuple[int, int]]]:
    """Pages of ``items``; ``shift_after_first`` simulates creations between two pages."""
    asked: list[tuple[int, int]] = []

    async def fetch(limit: int, offset: int) -> lt.Json:
        asked.append((limit, offset))
        data: list[lt.Json] = list(items)
        if asked[1:] and shift_after_first:
            created: list[lt.Json] = [{"id": f"new{i}"} for i in range(shift_after_first)]
            data = created + data
        page = data[offset: offset + min(limit, max_page)]
        return {"data": page, "total": len(data) if total is None else total,
                "limit": limit, "offset": offset}

    return fetch, asked


def _collect(fetch: pagination.FetchPage) -> list[dict[str, lt.Json]]:
    return asyncio.run(pagination.collect(fetch, where="/api/v1/slots", id_key="id"))


@pytest.mark.parametrize("count", [0, 1, 99, 100, 101, 250, 1000])
def test_every_object_once_in_pages_of_100(count) -> None:
    items: list[lt.Json] = [{"id": f"s{i}"} for i in range(count)]
    fetch, asked = _server(items)
    assert _collect(fetch) == items
    assert all(limit == 100 for limit, _ in asked)
    assert len(asked) == max(1, -(-count // 100))


def test_server_that_under_fills_pages() -> None:
    items: list[lt.Json] = [{"id": f"s{i}"} for i in range(130)]
    fetch, asked = _server(items, max_page=25)
    assert _collect(fetch) == items
    assert [offset for _, offset in asked] == [0, 25, 50, 75, 100, 125]


def test_total_over_reported_does_not_loop() -> None:
    items: list[lt.Json] = [{"id": f"s{i}"} for i in range(3)]
    fetch, asked = _server(items, total=500)
    assert _collect(fetch) == items
    assert len(asked) == 2


def test_objects_shifted_between_pages_are_yielded_once() -> None:
    items: list[lt.Json] = [{"id": f"s{i}"} for i in range(150)]
    fetch, _ = _server(items, shift_after_first=2)
    ids = [item["id"] for item in _collect(fetch)]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {f"s{i}" for i in range(150)}


def test_not_a_page_is_a_clear_error() -> None:
    async def fetch(limit: int, offset: int):
        return ["not", "a", "page"]

    with pytest.raises(errors.BackendError, match="without a data list"):
        _collect(fetch)


@pytest.mark.parametrize("id_key", ["id", None])
def test_a_tenant_that_ignores_offset_ends_with_a_clear_error(id_key) -> None:
    asked: list[int] = []

    async def fetch(limit: int, offset: int):
        asked.append(offset)
        return {"data": [{"id": f"s{i}", "n": i} for i in range(limit)],
                "total": 10**12, "limit": limit, "offset": offset}

    async def walk():
        return await pagination.collect(fetch, where="/api/v1/slots", id_key=id_key)

    with pytest.raises(errors.BackendError, match="ignores offset"):
        asyncio.run(walk())
    assert len(asked) == 2  # the first repeat of a whole page ends it


def test_pages_with_nothing_new_end_the_walk(monkeypatch) -> None:
    # Every page differs (a counter changes) yet holds only objects already seen.
    async def fetch(limit: int, offset: int):
        return {"data": [{"id": "s0", "seen": offset}], "total": 10**9, "limit": limit,
                "offset": offset}

    with pytest.raises(errors.BackendError, match="ignores offset"):
        asyncio.run(pagination.collect(fetch, where="/api/v1/slots", id_key="id"))


def test_the_number_of_pages_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(pagination, "MAX_PAGES", 5)
    asked: list[int] = []

    async def fetch(limit: int, offset: int):
        asked.append(offset)
        return {"data": [{"id": f"s{offset + i}"} for i in range(limit)], "total": 10**9,
                "limit": limit, "offset": offset}

    with pytest.raises(errors.BackendError, match="more than 5 pages"):
        asyncio.run(pagination.collect(fetch, where="/api/v1/slots", id_key="id"))
    assert len(asked) == 5
