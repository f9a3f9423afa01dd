"""Apply figures against the emulator in-process (the real client over httpx.ASGITransport).

1. Changing 1,000 slots (chains of 10 dependent slots): requests and retraining jobs of
   ``cogctl apply`` against the tutorial's way (a PUT per slot with ``triggerRetrain: true``,
   a full slot listing per dependency check).
2. Apply under a rate limit: elapsed time of the writes against the bound
   ``requests / limit``, and the number of 429s (target: zero).

   * Emulated time: the emulator and the client share one clock that moves only when the
     client sleeps, so a run spanning many 60-second windows takes seconds of real time and
     shows the steady state, for both of the emulator's window kinds (fixed and sliding).
   * Real time: one modest run on the wall clock (``time.time`` in the emulator,
     ``time.monotonic`` in the client), the figure a user sees.

   The client paces to the server's own ``X-RateLimit-Remaining``/``Reset`` (keeping 1% of
   each window for a newcomer), so the ratio to the bound should stay within 1.02.
3. Side by side, under the contract's documented 100 requests per minute in emulated time:
   cogctl against the tutorials' way and against a refresh-everything way (one GET per
   object, as Terraform refreshes, then cogctl's writes): requests, retraining jobs, and the
   time the run takes under the limit.

Run: ``.venv/bin/python benchmarks/bench_apply.py [--help]``
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.backend import client
from reconciler.backend.httpkit import retrying
from reconciler.core import livestate, planning
from reconciler.emulator.platform import TenantState, create_app, fixtures
from reconciler.emulator.platform import state as state_module
from reconciler.engine import applying, fetching
from reconciler.manifests import models

# context:write: apply records a pending retraining in the bot's context before slot writes.
SCOPES = (
    "cognigy:platform:read", "cognigy:slots:write", "cognigy:nlp:retrain", "context:write",
)
BOT = "bot_bench"
# A tenant holds many bots of modest size. The emulator checks a slot PUT against every slot
# of the tenant and the dependency graph of its bot, so a long run in one bot would time the
# emulator, not the pacing: the long runs spread their slots over bots of at most this many.
SLOTS_PER_BOT = 300
# Plans the rate-limited runs, so that the applying client starts at rest: a full bucket and
# an empty server window (the emulator counts each client on its own).
PLANNER = "planner"
CONCURRENCY = 4


class EmulatedClock:
    """Seconds since the epoch that move only when someone sleeps; shared by both sides."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        # At least a microsecond: near 1.8e9 a smaller step is lost to float rounding.
        self.now += max(1e-6, seconds)
        await asyncio.sleep(0)


def _bots(count: int) -> list[str]:
    """The bots of a run of ``count`` slots: one for part 1, enough for SLOTS_PER_BOT after."""
    if count <= 1000:
        return [BOT]
    return [f"{BOT}_{b:03d}" for b in range(-(-count // SLOTS_PER_BOT))]


def _bot_of(index: int, bots: list[str]) -> str:
    return bots[(index // 10) % len(bots)]  # a chain of 10 dependent slots stays in one bot


def _tenant(
    limit_per_minute: int, seeded: int = 0, *, bots: list[str] | None = None,
    window: str = "fixed", clock: Callable[[], float] | None = None,
) -> tuple[httpx.ASGITransport, TenantState]:
    bots = bots or [BOT]
    slots: dict[str, list[dict[str, Any]]] = {bot: [] for bot in bots}
    for i in range(seeded):
        slots[_bot_of(i, bots)].append(
            {"name": f"s{i:05d}", "patterns": [rf"A{i}-\d+"], "labels": {}}
        )
    fixture = fixtures.parse(
        {
            "settings": {"rateLimitPerMinute": limit_per_minute, "rateLimitWindow": window,
                         "trainingSeconds": 0.3},
            "workspaces": [{
                "id": "ws",
                "clients": [
                    {"clientId": c, "clientSecret": "s", "scopes": list(SCOPES)}
                    for c in ("c", PLANNER)
                ],
                "bots": [{"botId": bot, "name": bot, "slots": slots[bot]} for bot in bots],
            }],
        },
        source="bench",
    )
    state = TenantState.from_fixture_model(fixture, source="bench")
    app = create_app(state, clock=clock)
    return httpx.ASGITransport(app=app, client=("127.0.0.1", 40000)), state


def _backend(
    transport: httpx.ASGITransport, limit: int | None = None, clock: EmulatedClock | None = None,
    *, client_id: str = "c",
) -> client.PlatformBackend:
    policy = retrying.RetryPolicy(sleep=clock.sleep, clock=clock) if clock else None
    return client.PlatformBackend(
        base_url="http://emulator", client_id=client_id, client_secret="s", scopes=SCOPES,
        transport=transport, rate_limit_per_minute=limit, retry=policy,
    )


def _manifests(count: int, prefix: str = "B", bots: list[str] | None = None) -> list[models.Slot]:
    bots = bots or [BOT]
    return [
        models.Slot.model_validate({
            "apiVersion": "cogctl/v1", "kind": "Slot",
            "metadata": {"name": f"s{i:05d}", "bot": _bot_of(i, bots)},
            "spec": {
                "patterns": [rf"{prefix}{i}-\d+"],
                "dependencies": [f"s{i - 1:05d}"] if i % 10 else [],
            },
        })
        for i in range(count)
    ]


def _tally(state: TenantState) -> collections.Counter[str]:
    return collections.Counter(e.method for e in state.requests if "/oauth/" not in e.path)


async def cogctl_way(count: int) -> tuple[collections.Counter[str], int, float]:
    transport, state = _tenant(1_000_000)
    backend = _backend(transport)
    started = time.perf_counter()
    live = await fetching.fetch_live_state(backend, [BOT])
    plan = planning.build_plan(_manifests(count), live, bot_ids={}, target="bench")
    result = await applying.apply_plan(backend, plan)
    seconds = time.perf_counter() - started
    assert result.writes_ok, result.counts()
    assert result.training_ok, result.retrains
    await backend.aclose()
    jobs = sum(1 for e in state.requests if e.path.endswith("/nlp/retrain"))
    return _tally(state), jobs, seconds


async def tutorial_way(count: int) -> tuple[collections.Counter[str], int, float]:
    transport, state = _tenant(1_000_000)
    backend = _backend(transport)
    jobs: set[str] = set()
    started = time.perf_counter()
    for slot in _manifests(count):
        if slot.spec.dependencies:  # the tutorial checks dependencies against a full listing
            listed = {s["name"]: s["slotId"] for s in await backend.list_slots(BOT)}
            deps = [listed[name] for name in slot.spec.dependencies]
        else:
            deps = []
        _stored, job = await backend.put_slot(f"tut_{slot.metadata.name}", {
            "botId": BOT, "name": slot.metadata.name, "type": "regex",
            "patterns": list(slot.spec.patterns), "fillStrategy": "bestMatch",
            "dependencies": deps, "triggerRetrain": True, "labels": {},
        })
        if job:
            jobs.add(job)
    seconds = time.perf_counter() - started
    await backend.aclose()
    return _tally(state), len(jobs), seconds


@dataclass(frozen=True)
class RateRun:
    """One apply under a rate limit, started at rest. ``requests`` counts every request the
    server saw from the applying client (its token request too: it counts against the
    limit); times are seconds of the run's clock, ``real_seconds`` of the wall clock."""

    clock: str
    window: str
    limit: int
    requests: int
    elapsed: float
    throttled: int
    real_seconds: float

    @property
    def bound(self) -> float:
        return self.requests / (self.limit / 60.0)

    @property
    def windows(self) -> float:
        return self.requests / self.limit


async def under_rate_limit(count: int, limit: int, *, window: str, emulated: bool) -> RateRun:
    """Apply ``count`` slot updates with the client paced at ``limit``; no retraining."""
    fake = EmulatedClock() if emulated else None
    bots = _bots(count)
    transport, state = _tenant(limit, seeded=count, bots=bots, window=window, clock=fake)
    async with _backend(transport, limit, fake, client_id=PLANNER) as planner:
        live = await fetching.fetch_live_state(planner, bots)
    plan = planning.build_plan(_manifests(count, "C", bots), live, bot_ids={}, target="bench")
    options = applying.ApplyOptions(retrain=False, concurrency=CONCURRENCY)
    if fake:
        options = applying.ApplyOptions(retrain=False, concurrency=CONCURRENCY,
                                        clock=fake, sleep=fake.sleep)
    clock: Callable[[], float] = fake or time.monotonic
    backend = _backend(transport, limit, fake)
    state.requests.clear()
    real_started, started = time.perf_counter(), clock()
    result = await applying.apply_plan(backend, plan, options=options)
    elapsed, real = clock() - started, time.perf_counter() - real_started
    assert result.writes_ok, result.counts()
    await backend.aclose()
    requests = len(state.requests)
    assert requests < state_module.MAX_LOG_ENTRIES, "the request log overflowed: fewer slots"
    return RateRun(
        clock="emulated" if emulated else "real", window=window, limit=limit,
        requests=requests, elapsed=elapsed,
        throttled=sum(1 for e in state.requests if e.status == 429), real_seconds=real,
    )


@dataclass(frozen=True)
class Way:
    name: str
    requests: collections.Counter[str]
    jobs: int
    elapsed: float  # emulated seconds under the limit
    real: float


async def _cogctl_or_refresh(count: int, limit: int, *, refresh: bool) -> Way:
    fake = EmulatedClock()
    transport, state = _tenant(limit, seeded=count, clock=fake)
    async with _backend(transport, None, fake, client_id=PLANNER) as seeder:
        ids = [s["slotId"] for s in await seeder.list_slots(BOT)]  # what a state file holds
    state.requests.clear()
    backend = _backend(transport, None, fake)
    started, real_started = fake(), time.perf_counter()
    if refresh:  # one GET per object, as Terraform refreshes its state
        slots = [await backend.get_slot(slot_id) for slot_id in ids]
        context = await backend.get_context(BOT)
        live = livestate.LiveState(bots={BOT: livestate.BotState(
            bot_id=BOT, slots=tuple(slots), context=context)})
    else:
        live = await fetching.fetch_live_state(backend, [BOT])
    plan = planning.build_plan(_manifests(count, "D"), live, bot_ids={}, target="bench")
    options = applying.ApplyOptions(concurrency=CONCURRENCY, clock=fake, sleep=fake.sleep)
    result = await applying.apply_plan(backend, plan, options=options)
    assert result.writes_ok, result.counts()
    elapsed, real = fake() - started, time.perf_counter() - real_started
    await backend.aclose()
    jobs = sum(1 for e in state.requests if e.path.endswith("/nlp/retrain") and e.status < 300)
    return Way("refresh-everything" if refresh else "cogctl apply", _tally(state), jobs,
               elapsed, real)


async def _tutorial(count: int, limit: int) -> Way:
    fake = EmulatedClock()
    transport, state = _tenant(limit, seeded=count, clock=fake)
    backend = _backend(transport, None, fake)
    jobs: set[str] = set()
    started, real_started = fake(), time.perf_counter()
    ids = {s["name"]: s["slotId"] for s in await backend.list_slots(BOT)}
    for slot in _manifests(count, "D"):
        if slot.spec.dependencies:  # the tutorial checks dependencies against a full listing
            listed = {s["name"]: s["slotId"] for s in await backend.list_slots(BOT)}
            deps = [listed[name] for name in slot.spec.dependencies]
        else:
            deps = []
        _stored, job = await backend.put_slot(ids[slot.metadata.name], {
            "botId": BOT, "name": slot.metadata.name, "type": "regex",
            "patterns": list(slot.spec.patterns), "fillStrategy": "bestMatch",
            "dependencies": deps, "triggerRetrain": True, "labels": {},
        })
        if job:
            jobs.add(job)
    elapsed, real = fake() - started, time.perf_counter() - real_started
    await backend.aclose()
    return Way("tutorial way", _tally(state), len(jobs), elapsed, real)


def _print_side_by_side(count: int, limit: int) -> None:
    ways = [asyncio.run(_cogctl_or_refresh(count, limit, refresh=False)),
            asyncio.run(_tutorial(count, limit)),
            asyncio.run(_cogctl_or_refresh(count, limit, refresh=True))]
    ours = ways[0]
    print(f"Side by side: changing {count} existing slots (chains of 10) under {limit} "
          "requests/minute, emulated time:")
    print(f"  {'way':20} {'requests':>8} {'ratio':>6} {'jobs':>5} {'under the limit':>16} "
          f"{'ratio':>6} {'real':>6}  requests by method")
    for way in ways:
        total = sum(way.requests.values())
        print(f"  {way.name:20} {total:8d} {total / sum(ours.requests.values()):6.2f} "
              f"{way.jobs:5d} {way.elapsed / 60:13.1f} min {way.elapsed / ours.elapsed:6.2f} "
              f"{way.real:5.1f}s  {dict(way.requests)}")


def _print_comparison(count: int) -> None:
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


def _print_rate_runs(runs: list[RateRun]) -> None:
    print(f"Apply of slot updates under a rate limit (concurrency {CONCURRENCY}, no retraining):")
    print(f"  {'clock':8} {'window':7} {'limit/min':>9} {'requests':>8} {'windows':>7} "
          f"{'bound':>8} {'elapsed':>8} {'ratio':>6} {'429s':>4} {'real':>6}")
    for run in runs:
        print(f"  {run.clock:8} {run.window:7} {run.limit:9d} {run.requests:8d} "
              f"{run.windows:7.1f} {run.bound:7.1f}s {run.elapsed:7.1f}s "
              f"{run.elapsed / run.bound:6.3f} {run.throttled:4d} {run.real_seconds:5.1f}s")
    print("  bound = requests / limit (target: ratio <= 1.02, no 429); real = wall time")


def _run_spec(text: str) -> tuple[int, int]:
    limit, _, windows = text.partition(":")
    try:
        return int(limit), int(windows)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LIMIT:WINDOWS") from None


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=1000, help="slots changed in part 1")
    parser.add_argument("--emulated", type=_run_spec, nargs="+",
                        default=[(120, 5), (120, 20), (1200, 5)], metavar="LIMIT:WINDOWS",
                        help="emulated-time runs: requests per minute and length in windows' "
                             "worth of requests (LIMIT x WINDOWS slot updates), each run "
                             "against fixed and sliding windows")
    parser.add_argument("--side-by-side", type=int, nargs=2, default=[1000, 100],
                        metavar=("SLOTS", "LIMIT"),
                        help="part 3: slots changed and requests per minute")
    parser.add_argument("--real", type=int, nargs=2, default=[360, 240],
                        metavar=("UPDATES", "LIMIT"),
                        help="the real-time run: slot updates and requests per minute")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    _print_comparison(args.slots)
    runs = [
        asyncio.run(under_rate_limit(limit * windows, limit, window=kind, emulated=True))
        for limit, windows in args.emulated for kind in ("fixed", "sliding")
    ]
    updates, per_minute = args.real
    runs.append(asyncio.run(under_rate_limit(updates, per_minute, window="fixed", emulated=False)))
    _print_rate_runs(runs)
    _print_side_by_side(*args.side_by_side)


if __name__ == "__main__":
    main()
