"""How fast does the emulator answer? Requests per second in-process and over uvicorn.

Prints, for a read (``GET /api/v1/slots``, a page of 25 out of ``--slots`` slots) and a write
(``PUT /api/v1/slots/{id}``, a replace):
- requests per second in-process through ``httpx.ASGITransport`` (one event loop, one client);
- requests per second over real HTTP to uvicorn on 127.0.0.1 (keep-alive, one client);
- the ratio in-process / HTTP (the cost of the socket and HTTP parsing).

Bounded loops, loopback only. Run: ``.venv/bin/python benchmarks/bench_emulator.py
[--requests 2000] [--slots 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator.platform import TenantState, create_app, records, serving

FIXTURE = Path(__file__).parents[1] / "tests" / "emulator" / "fixtures" / "tenant.yaml"
SCOPE = "cognigy:platform:read cognigy:slots:write"


def _state(slots: int) -> TenantState:
    state = TenantState.from_fixture(FIXTURE)
    state.settings.rateLimitPerMinute = 10_000_000
    for index in range(slots):
        body = {"botId": "bot_support", "name": f"slot_{index:05d}", "type": "regex",
                "patterns": [r"ORD-\d+"], "fillStrategy": "firstMatch", "dependencies": [],
                "labels": {}, "version": "0", "updatedAt": "2026-01-01T00:00:00.000Z"}
        state.slots[f"s{index}"] = records.SlotRecord.model_validate(
            {**body, "slotId": f"s{index}"}
        )
    return state


def _write_body(index: int) -> dict[str, Any]:
    return {"botId": "bot_support", "name": "slot_00000", "type": "regex",
            "patterns": [rf"ORD-\d{{{index % 9 + 1}}}"], "fillStrategy": "firstMatch",
            "dependencies": [], "labels": {}}


async def _token(client: httpx.AsyncClient) -> str:
    answer = await client.post("/api/v1/auth/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "admin",
        "client_secret": "admin-secret", "scope": SCOPE})
    return str(answer.json()["access_token"])


async def _run(client: httpx.AsyncClient, requests: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {await _token(client)}"}
    started = time.perf_counter()
    for _ in range(requests):
        answer = await client.get("/api/v1/slots?botId=bot_support&limit=25", headers=headers)
        assert answer.status_code == 200
    reads = requests / (time.perf_counter() - started)
    started = time.perf_counter()
    for index in range(requests):
        answer = await client.put("/api/v1/slots/s0", json=_write_body(index), headers=headers)
        assert answer.status_code == 200, answer.text
    writes = requests / (time.perf_counter() - started)
    return reads, writes


async def _in_process(requests: int, slots: int) -> tuple[float, float]:
    transport = httpx.ASGITransport(app=create_app(_state(slots)))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        return await _run(client, requests)


async def _over_http(url: str, requests: int) -> tuple[float, float]:
    async with httpx.AsyncClient(base_url=url) as client:
        return await _run(client, requests)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--slots", type=int, default=1000)
    args = parser.parse_args()
    local_reads, local_writes = asyncio.run(_in_process(args.requests, args.slots))
    with serving.serve_in_thread(create_app(_state(args.slots))) as handle:
        http_reads, http_writes = asyncio.run(_over_http(handle.url, args.requests))
    print(f"emulator, {args.slots} slots, {args.requests} requests per figure")
    print(f"  read  GET /api/v1/slots (page of 25): in-process {local_reads:8.0f} req/s, "
          f"uvicorn {http_reads:8.0f} req/s, ratio {local_reads / http_reads:5.2f}")
    print(f"  write PUT /api/v1/slots/{{id}}:        in-process {local_writes:8.0f} req/s, "
          f"uvicorn {http_writes:8.0f} req/s, ratio {local_writes / http_writes:5.2f}")


if __name__ == "__main__":
    main()
