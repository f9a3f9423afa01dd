"""Apply figures against the emulator in-process (the real client over httpx.ASGITransport).

1. Changing 1,000 slots (chains of 10 dependent slots): requests and retraining jobs of
   ``cogctl apply`` against the tutorial's way (a PUT per slot with ``triggerRetrain: true``,
   a full slot listing per dependency check).
2. Apply under a rate limit: wall time of the writes against the bound ``requests / limit``,
   and the number of 429s (target: zero).

Run: ``.venv/bin/python benchmarks/bench_apply.py [SLOTS] [RATE_LIMIT_SLOTS] [LIMIT_PER_MIN]``
"""

from __future__ import annotations

import asyncio
import collections
import sys
import time
from typing import Any

import httpx

from reconciler import applying, fetching, models, planning
from reconciler.backend import client
from reconciler.emulator import TenantState, create_app, fixtures

SCOPES = ("cognigy:platform:read", "cognigy:slots:write", "cognigy:nlp:retrain")
BOT = "bot_bench"


def _tenant(limit_per_minute: int, seeded: int = 0) -> tuple[httpx.ASGITransport, TenantState]:
    slots = [
        {"name": f"s{i:04d}", "patterns": [rf"A{i}-\d+"], "labels": {}} for i in range(seeded)
    ]
    fixture = fixtures.parse(
        {
            "settings": {"rateLimitPerMinute": limit_per_minute, "trainingSeconds": 0.3},
            "workspaces": [{
                "id": "ws",
                "clients": [{"clientId": "c", "clientSecret": "s", "scopes": list(SCOPES)}],
                "bots": [{"botId": BOT, "name": "Bench", "slots": slots}],
            }],
        },
        source="bench",
    )
    state = TenantState.from_fixture_model(fixture, source="bench")
    app = create_app(state)
    return httpx.ASGITransport(app=app, client=("127.0.0.1", 40000)), state


def _backend(transport: httpx.ASGITransport, limit: int | None = None) -> client.PlatformBackend:
    return client.PlatformBackend(
        base_url="http://emulator", client_id="c", client_secret="s", scopes=SCOPES,
        transport=transport, rate_limit_per_minute=limit,
    )


def _manifests(count: int, prefix: str = "B") -> list[models.Slot]:
    return [
        models.Slot.model_validate({
            "apiVersion": "cogctl/v1", "kind": "Slot",
            "metadata": {"name": f"s{i:04d}", "bot": BOT},
            "spec": {
                "patterns": [rf"{prefix}{i}-\d+"],
                "dependencies": [f"s{i - 1:04d}"] if i % 10 else [],
            },
        })
        for i in range(count)
    ]


async def _log(transport: httpx.ASGITransport, *, clear: bool = False) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as admin:
        if clear:
            (await admin.delete("/_emulator/requests")).raise_for_status()
            return []
        answer = await admin.get("/_emulator/requests")
        answer.raise_for_status()
        return list(answer.json())


def _tally(log: list[dict[str, Any]]) -> collections.Counter[str]:
    return collections.Counter(e["method"] for e in log if "/oauth/" not in e["path"])


async def cogctl_way(count: int) -> tuple[collections.Counter[str], int, float]:
    transport, _ = _tenant(1_000_000)
    backend = _backend(transport)
    started = time.perf_counter()
    live = await fetching.fetch_live_state(backend, [BOT])
    plan = planning.build_plan(_manifests(count), live, bot_ids={}, target="bench")
    result = await applying.apply_plan(backend, plan)
    seconds = time.perf_counter() - started
    assert result.writes_ok, result.counts()
    assert result.training_ok, result.retrains
    log = await _log(transport)
    await backend.aclose()
    jobs = sum(1 for e in log if e["path"].endswith("/nlp/retrain"))
    return _tally(log), jobs, seconds


async def tutorial_way(count: int) -> tuple[collections.Counter[str], int, float]:
    transport, _ = _tenant(1_000_000)
    backend = _backend(transport)
    ids: dict[str, str] = {}
    jobs: set[str] = set()
    started = time.perf_counter()
    for slot in _manifests(count):
        if slot.spec.dependencies:  # the tutorial checks dependencies against a full listing
            listed = {s["name"]: s["slotId"] for s in await backend.list_slots(BOT)}
            deps = [listed[name] for name in slot.spec.dependencies]
        else:
            deps = []
        slot_id = f"tut_{slot.metadata.name}"
        _stored, job = await backend.put_slot(slot_id, {
            "botId": BOT, "name": slot.metadata.name, "type": "regex",
            "patterns": list(slot.spec.patterns), "fillStrategy": "bestMatch",
            "dependencies": deps, "triggerRetrain": True, "labels": {},
        })
        ids[slot.metadata.name] = slot_id
        if job:
            jobs.add(job)
    seconds = time.perf_counter() - started
    log = await _log(transport)
    await backend.aclose()
    return _tally(log), len(jobs), seconds


async def under_rate_limit(count: int, limit: int) -> dict[str, float]:
    transport, _ = _tenant(limit, seeded=count)
    backend = _backend(transport, limit)
    live = await fetching.fetch_live_state(backend, [BOT])
    plan = planning.build_plan(_manifests(count, "C"), live, bot_ids={}, target="bench")
    await _log(transport, clear=True)
    started = time.perf_counter()
    result = await applying.apply_plan(
        backend, plan, options=applying.ApplyOptions(retrain=False, concurrency=4)
    )
    seconds = time.perf_counter() - started
    assert result.writes_ok, result.counts()
    log = await _log(transport)
    await backend.aclose()
    requests = sum(1 for e in log if "/oauth/" not in e["path"])
    return {
        "requests": requests,
        "seconds": seconds,
        "bound": requests / (limit / 60.0),
        "throttled": sum(1 for e in log if e["status"] == 429),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    limited = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1200
    ours, our_jobs, our_s = asyncio.run(cogctl_way(count))
    theirs, their_jobs, their_s = asyncio.run(tutorial_way(count))
    our_total, their_total = sum(ours.values()), sum(theirs.values())
    print(f"Changing {count} slots (chains of 10 dependent slots), in-process emulator:")
    print(f"  cogctl apply : {our_total:6d} requests {dict(ours)}, "
          f"{our_jobs} retraining job(s), {our_s:.1f}s")
    print(f"  tutorial way : {their_total:6d} requests {dict(theirs)}, "
          f"{their_jobs} retraining job(s) from {count} triggers, {their_s:.1f}s")
    print(f"  ratio        : {their_total / our_total:.1f}x fewer requests, "
          f"{their_jobs / max(our_jobs, 1):.0f}x fewer retraining jobs")
    figures = asyncio.run(under_rate_limit(limited, limit))
    print(f"Apply of {limited} slot updates under {limit}/min (concurrency 4):")
    # The client's bucket refills at 90% of the limit and starts with 10% as burst.
    steady = (figures["requests"] - 0.1 * limit) / (0.9 * limit / 60.0)
    print(f"  requests {figures['requests']:.0f}, wall {figures['seconds']:.1f}s, "
          f"bound requests/limit {figures['bound']:.1f}s "
          f"(ratio {figures['seconds'] / figures['bound']:.2f}; the client's own pacing "
          f"predicts {steady:.1f}s), 429s: {figures['throttled']:.0f}")


if __name__ == "__main__":
    main()
