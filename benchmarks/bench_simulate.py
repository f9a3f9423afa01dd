"""Simulation suites: wall time by concurrency, and polls per case, against the emulator.

A suite of N cases runs through ``simulating.run_suite`` and the real client against the
in-process emulator, whose simulations take ``SIM_SECONDS`` of real time. Figures: wall
seconds per suite at concurrency 1, 4 and 16, the speed-up over sequential, and how many
status polls a case needed (exponential backoff from 0.2 s). A naive sequential loop that
polls every 2 s (up to 30 times) needs at least 2 s per case, and never finishes a
simulation that hangs; run_suite times such a case out instead.

Run: ``.venv/bin/python benchmarks/bench_simulate.py [CASES]``
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx

from reconciler.backend import client
from reconciler.core import livetypes as lt
from reconciler.emulator.platform import TenantState, create_app, fixtures
from reconciler.engine import simulating
from reconciler.manifests import models

SIM_SECONDS = 0.3
SCOPES = ("cognigy:platform:read", "simulation:execute")


def _state() -> TenantState:
    return TenantState.from_fixture_model(fixtures.parse({
        "settings": {"rateLimitPerMinute": 1_000_000, "simulationSeconds": SIM_SECONDS},
        "workspaces": [{
            "id": "ws",
            "clients": [{"clientId": "c", "clientSecret": "s", "scopes": list(SCOPES)}],
            "bots": [{
                "botId": "bot", "name": "Bench",
                "flows": [{"flowId": "flow_hi"}],
                "intents": [{"name": "greeting", "flowId": "flow_hi", "examples": ["hello there"],
                             "response": "Hi!"}],
            }],
        }],
    }, source="bench"), source="bench")


def _suite(cases: int) -> models.SimulationSuite:
    return models.SimulationSuite.model_validate({
        "apiVersion": "cogctl/v1", "kind": "SimulationSuite",
        "metadata": {"name": "bench", "bot": "bot"},
        "spec": {"expectedFlows": ["flow_hi"], "cases": [
            {"id": f"test_{i}", "userId": "usr_1", "utterance": "hello there",
             "expect": {"intent": "greeting"}} for i in range(cases)]},
    })


class _Counting(client.PlatformBackend):
    polls = 0

    async def get_simulation(self, simulation_id: str) -> lt.Simulation:
        type(self).polls += 1
        return await super().get_simulation(simulation_id)


async def _run(cases: int, concurrency: int) -> tuple[float, float, bool]:
    _Counting.polls = 0
    backend = _Counting(base_url="http://bench", client_id="c", client_secret="s",
                        scopes=SCOPES, transport=httpx.ASGITransport(app=create_app(_state())))
    try:
        started = time.perf_counter()
        report = await simulating.run_suite(backend, _suite(cases), bot_id="bot",
                                            concurrency=concurrency)
        return time.perf_counter() - started, _Counting.polls / cases, report.passed
    finally:
        await backend.aclose()


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    print(f"{cases} cases, each simulation takes {SIM_SECONDS}s on the emulator")
    baseline = None
    for concurrency in (1, 4, 16):
        seconds, polls, passed = asyncio.run(_run(cases, concurrency))
        baseline = baseline or seconds
        print(f"concurrency {concurrency:>2}: {seconds:6.2f}s wall, {polls:.1f} polls/case, "
              f"speed-up x{baseline / seconds:.1f}, passed={passed}")
    naive = cases * 2.0
    print(f"naive sequential loop (a fixed 2 s poll): at least {naive:.0f}s")


if __name__ == "__main__":
    main()
