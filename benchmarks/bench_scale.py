"""Does planning scale? Plan at 1,000 / 10,000 / 100,000 objects, apply at the smaller sizes.

Each size runs in a process of its own (``--one N``), so its peak RSS (``ru_maxrss``) is its
own. Per size it prints:

- ``build_plan`` CPU time of a no-op plan, per object, and of a plan changing 1%;
- the peak RSS of the process up to there (the manifests, the live snapshot and both plans);
- fetch requests against the emulator in-process against the minimum (one list per 100
  objects of a kind per bot, at least one, plus one context read per bot);
- for apply sizes: CPU per slot written and requests against the minimum (one PUT per
  changed slot, the two marker PATCHes, one retraining POST and the token request per bot's
  run, plus the reads of the plan).

Then the slope of CPU per object against size (flat means linear time). Apply runs against
the emulator, whose slot PUT checks the new slot against the whole tenant: its cost, not the
client's, grows with the tenant, so apply sizes stop at 10,000 by default.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_plan  # noqa: E402

from reconciler.backend.client import PlatformBackend  # noqa: E402
from reconciler.core import livestate, planning  # noqa: E402
from reconciler.emulator.platform import TenantState, create_app, fixtures  # noqa: E402
from reconciler.engine import applying, fetching  # noqa: E402

PER_BOT = 500
WRITE_SCOPES = ("cognigy:platform:read", "cognigy:slots:write", "cognigy:integrations:write",
                "cognigy:nlp:retrain", "context:write")


def _cpu(fn: Any) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


async def _apply(desired: list[Any], bot_ids: dict[str, str]) -> tuple[float, int, int]:
    """Create every object of ``desired`` in an empty tenant; CPU, requests, minimum."""
    fixture = fixtures.parse({
        "settings": {"rateLimitPerMinute": 100_000_000, "trainingSeconds": 0.0},
        "workspaces": [{"id": "ws", "clients": [
            {"clientId": "c", "clientSecret": "s", "scopes": list(WRITE_SCOPES)}],
            "bots": [{"botId": b} for b in bot_ids.values()]}],
    }, source="bench")
    state = TenantState.from_fixture_model(fixture, source="bench")
    transport = httpx.ASGITransport(app=create_app(state), client=("127.0.0.1", 40000))
    backend = PlatformBackend(base_url="http://emulator", client_id="c", client_secret="s",
                              scopes=WRITE_SCOPES, transport=transport)
    start = time.process_time()
    live = await fetching.fetch_live_state(backend, bot_ids.values())
    plan = planning.build_plan(desired, live, bot_ids=bot_ids, target="bench")
    result = await applying.apply_plan(
        backend, plan, options=applying.ApplyOptions(poll_seconds=0.0, env={}))
    cpu = time.process_time() - start
    await backend.aclose()
    assert result.writes_ok, result.counts()
    requests = len(state.requests)
    bots = len(bot_ids)
    # reads: one list per kind per bot (empty) + one context read; writes: one per object;
    # per bot with slots: marker set + clear (PATCH) and one retraining; one token request.
    minimum = bots * 3 + len(desired) + bots * 3 + 1
    return cpu, requests, minimum


def _live(desired: list[Any], bot_ids: dict[str, str]) -> livestate.LiveState:
    """What the tenant holds once ``desired`` is applied, built one bot at a time so that the
    set-up's own creation plans never raise the high-water mark above the measured plan's."""
    bots: dict[str, livestate.BotState] = {}
    for logical in bot_ids:
        mine = [m for m in desired if m.metadata.bot == logical]
        created = planning.build_plan(mine, livestate.LiveState(), bot_ids=bot_ids,
                                      target="bench")
        bots.update(bench_plan._stored(created).bots)
    return livestate.LiveState(bots=bots)


def one(size: int, do_apply: bool) -> dict[str, Any]:
    bots = max(1, size // PER_BOT)
    desired, bot_ids = bench_plan._desired(bots, min(size, PER_BOT))
    live = _live(desired, bot_ids)
    count = live.object_count()
    noop_cpu, plan = _cpu(lambda: planning.build_plan(desired, live, bot_ids=bot_ids,
                                                      target="bench"))
    assert not plan.summary().has_changes
    changed = bench_plan._with_changed_slots(desired, every=80)
    changed_cpu, changed_plan = _cpu(lambda: planning.build_plan(changed, live, bot_ids=bot_ids,
                                                                 target="bench"))
    del plan, changed_plan
    # High-water mark of everything a plan needs: the manifests, the live snapshot, the plans.
    plan_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    made, minimum, _ = asyncio.run(bench_plan._requests(live))
    out: dict[str, Any] = {
        "size": count, "noop_cpu": noop_cpu, "changed_cpu": changed_cpu, "plan_rss_mib": plan_rss,
        "fetch": made, "fetch_min": minimum,
    }
    if do_apply:
        out["apply_cpu"], out["apply_requests"], out["apply_min"] = asyncio.run(
            _apply(desired, bot_ids))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--apply-sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--with-apply", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.with_apply)))
        return
    rows = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size)]
        if size in args.apply_sizes:
            command.append("--with-apply")
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("Planning and applying at scale (CPU time; one process per size):")
    print(f"  {'objects':>8} {'no-op plan':>11} {'us/obj':>7} {'1% changed':>11} {'us/obj':>7} "
          f"{'fetch/min':>11} {'apply':>8} {'us/obj':>7} {'requests/min':>13} {'plan RSS':>9}")
    for row in rows:
        size = row["size"]
        apply = (f"{row['apply_cpu']:7.2f}s {row['apply_cpu'] / size * 1e6:7.0f} "
                 f"{row['apply_requests']:6d}/{row['apply_min']:<6d}"
                 if "apply_cpu" in row else f"{'-':>8} {'-':>7} {'-':>13}")
        print(f"  {size:8d} {row['noop_cpu']:10.3f}s {row['noop_cpu'] / size * 1e6:7.1f} "
              f"{row['changed_cpu']:10.3f}s {row['changed_cpu'] / size * 1e6:7.1f} "
              f"{row['fetch']:5d}/{row['fetch_min']:<5d} {apply} {row['plan_rss_mib']:5.0f} MiB")
    first, last = rows[0], rows[-1]
    per_first = first["noop_cpu"] / first["size"]
    per_last = last["noop_cpu"] / last["size"]
    slope = math.log(last["noop_cpu"] / first["noop_cpu"]) / math.log(last["size"] / first["size"])
    print(f"  no-op plan: {per_first * 1e6:.1f} -> {per_last * 1e6:.1f} us/object "
          f"({per_last / per_first:.2f}x); CPU ~ size^{slope:.3f} (1.000 is linear)")
    print(f"  peak RSS of the {last['size']}-object plan's process: "
          f"{last['plan_rss_mib']:.0f} MiB (target <= 300)")


if __name__ == "__main__":
    main()
