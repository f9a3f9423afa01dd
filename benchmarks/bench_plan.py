"""How fast and how lean is planning? A no-op plan over 10,000 objects in 20 bots.

Prints:
- CPU time of ``planning.build_plan`` (hash first, deep-diff only what differs) against a
  baseline that deep-diffs every normalized object pair, and the ratio;
- peak memory of ``build_plan`` (tracemalloc);
- requests ``fetching.fetch_live_state`` makes against the emulator in-process, against the
  minimum (one list per 100 objects per kind, at least one, plus one context read per bot).

Run: ``.venv/bin/python benchmarks/bench_plan.py [--bots 20] [--per-bot 500]``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, cast

import httpx
from deepdiff import DeepDiff
from pydantic import TypeAdapter

from reconciler.backend.client import PlatformBackend
from reconciler.core import livestate, normalizing, planning, plans
from reconciler.core import livetypes as lt
from reconciler.emulator.platform import TenantState, create_app, fixtures
from reconciler.engine import fetching
from reconciler.manifests import models

_MANIFEST: TypeAdapter[Any] = TypeAdapter(models.Manifest)
SCOPES = ("cognigy:platform:read",)


def _desired(bots: int, per_bot: int) -> tuple[list[Any], dict[str, str]]:
    """Per bot: a fifth integrations, the rest slots (every fourth depending on the one before)."""
    desired: list[Any] = []
    bot_ids = {f"bot{b:02d}": f"bot_{b:02d}" for b in range(bots)}
    for logical in bot_ids:
        integrations = per_bot // 5
        for i in range(integrations):
            desired.append(_MANIFEST.validate_python({
                "apiVersion": "cogctl/v1", "kind": "Integration",
                "metadata": {"name": f"int_{i:04d}", "bot": logical, "labels": {"team": "t"}},
                "spec": {"url": f"https://api.example.com/{i}", "method": "POST",
                         "headers": {"X-A": "1", "X-B": str(i)},
                         "requestMapping": {"body": {"id": "{{id}}"}},
                         "responseMapping": {"extract": "data", "normalize": "flatten"}},
            }))
        for s in range(per_bot - integrations):
            deps = [f"slot_{s - 1:04d}"] if s % 4 == 3 else []
            desired.append(_MANIFEST.validate_python({
                "apiVersion": "cogctl/v1", "kind": "Slot",
                "metadata": {"name": f"slot_{s:04d}", "bot": logical},
                "spec": {"patterns": [rf"\b{s}\d+\b", "order"], "dependencies": deps},
            }))
    return desired, bot_ids


def _with_changed_slots(desired: list[Any], *, every: int) -> list[Any]:
    """Every ``every``-th slot with one more pattern: a realistic small change set."""
    out = []
    for index, manifest in enumerate(desired):
        if manifest.kind == "Slot" and index % every == 0:
            spec = manifest.spec.model_copy(update={"patterns": [*manifest.spec.patterns, "new"]})
            manifest = manifest.model_copy(update={"spec": spec})
        out.append(manifest)
    return out


def _stored(plan: plans.Plan) -> livestate.LiveState:
    """The live state the Platform API holds once ``plan`` (all creates) is applied."""
    bots: dict[str, dict[str, list[Any]]] = {}
    for n, change in enumerate(plan.pending()):
        write: dict[str, Any] = change.write.to_json() if change.write else {}
        bucket = bots.setdefault(change.bot_id, {"integrations": [], "slots": []})
        if change.kind == "Integration":
            config = {k: v for k, v in write.pop("config").items() if k != "auth_secret"}
            bucket["integrations"].append({
                **write, "id": f"int_{n}", "config": config, "auth_secret_sha256": None,
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                "version": "1",
            })
        elif change.kind == "Slot":
            write.pop("triggerRetrain")
            bucket["slots"].append({**write, "slotId": change.live_id, "version": "1",
                                    "updatedAt": "2026-01-01T00:00:00Z"})
    return livestate.LiveState(bots={
        bot_id: livestate.BotState(
            bot_id=bot_id,
            integrations=tuple(cast(list[lt.LiveIntegration], parts["integrations"])),
            slots=tuple(cast(list[lt.LiveSlot], parts["slots"])),
            context={"botId": bot_id, "contextVersion": "1", "context": {}},
        )
        for bot_id, parts in bots.items()
    })


def _deepdiff_everything(desired: list[Any], live: livestate.LiveState,
                         bot_ids: dict[str, str]) -> int:
    """The baseline: normalize both sides and deep-diff every pair, equal or not."""
    differing = 0
    for manifest in desired:
        bot = live.bot(bot_ids[manifest.metadata.bot])
        if manifest.kind == "Integration":
            found_i = bot.integration_named(manifest.metadata.name)
            assert found_i is not None
            pair = (normalizing.integration_from_live(found_i),
                    normalizing.integration_from_manifest(manifest))
        else:
            found_s = bot.slot_named(manifest.metadata.name)
            assert found_s is not None
            names = {s["slotId"]: s["name"] for s in bot.slots}
            pair = (normalizing.slot_from_live(found_s, names),
                    normalizing.slot_from_manifest(manifest))
        differing += bool(DeepDiff(pair[0], pair[1], ignore_order=False))
    return differing


def _cpu(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


async def _requests(live: livestate.LiveState) -> tuple[int, int, float]:
    bots = []
    for bot_id, bot in sorted(live.bots.items()):
        bots.append({
            "botId": bot_id,
            "slots": [{"slotId": s["slotId"], "name": s["name"], "patterns": s["patterns"],
                       "labels": s["labels"]} for s in bot.slots],
            "integrations": [{"name": i["name"], "config": dict(i["config"])}
                             for i in bot.integrations],
        })
    fixture = fixtures.parse({
        "settings": {"rateLimitPerMinute": 10_000_000},
        "workspaces": [{"id": "ws", "clients": [
            {"clientId": "bench", "clientSecret": "bench-secret", "scopes": list(SCOPES)}],
            "bots": bots}],
    }, source="bench")
    app = create_app(TenantState.from_fixture_model(fixture, source="bench"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    backend = PlatformBackend(base_url="http://emulator", client_id="bench",
                              client_secret="bench-secret", scopes=SCOPES, transport=transport)
    start = time.perf_counter()
    try:
        await fetching.fetch_live_state(backend, live.bots)
    finally:
        await backend.aclose()
    elapsed = time.perf_counter() - start
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        log = (await client.get("/_emulator/requests")).json()
    made = sum(1 for e in log if not e["path"].startswith("/api/v1/auth/"))
    minimum = sum(
        max(1, math.ceil(len(b.integrations) / 100)) + max(1, math.ceil(len(b.slots) / 100)) + 1
        for b in live.bots.values()
    )
    return made, minimum, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=20)
    parser.add_argument("--per-bot", type=int, default=500)
    parser.add_argument("--skip-requests", action="store_true")
    args = parser.parse_args()
    desired, bot_ids = _desired(args.bots, args.per_bot)
    empty = planning.build_plan(desired, livestate.LiveState(), bot_ids=bot_ids, target="bench")
    live = _stored(empty)
    count = live.object_count()

    def plan() -> plans.Plan:
        return planning.build_plan(desired, live, bot_ids=bot_ids, target="bench")

    plan_cpu, result = _cpu(plan)
    assert not result.summary().has_changes, "the benchmark's live state must plan to no-op"
    base_cpu, differing = _cpu(lambda: _deepdiff_everything(desired, live, bot_ids), repeat=1)
    assert differing == 0
    changed = _with_changed_slots(desired, every=80)  # 1% of the objects: 100 of 10,000
    changed_cpu, changed_plan = _cpu(
        lambda: planning.build_plan(changed, live, bot_ids=bot_ids, target="bench")
    )
    tracemalloc.start()
    plan()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"no-op plan over {count} objects in {len(live.bots)} bots")
    per_object = plan_cpu / count * 1e6
    print(f"  build_plan CPU time             {plan_cpu:8.3f} s  ({per_object:.1f} us/object)")
    print(f"  baseline: deep-diff every pair  {base_cpu:8.3f} s")
    print(f"  ratio baseline / build_plan     {base_cpu / plan_cpu:8.1f} x  (target >= 30)")
    updates = changed_plan.summary().update
    print(f"  build_plan with {updates} changed ({updates / count:.1%})  {changed_cpu:8.3f} s")
    print(f"  ratio baseline / changed plan   {base_cpu / changed_cpu:8.1f} x  (target >= 10)")
    print(f"  build_plan peak memory          {peak / 2**20:8.1f} MiB")
    if not args.skip_requests:
        made, minimum, elapsed = asyncio.run(_requests(live))
        print(f"  fetch requests made / minimum   {made} / {minimum}  ({elapsed:.2f} s in-process)")


if __name__ == "__main__":
    main()
