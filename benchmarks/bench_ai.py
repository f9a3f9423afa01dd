"""api cognigy-ai: requests of a no-op plan against the minimum, apply time against the quota.

The v2 emulator (``manifests/fixtures/cognigy-ai-tenant.yaml``: two projects, one flow and
locale each, the documented 1,000 requests per 5 minutes) is served over real HTTP on
127.0.0.1, and the CLI runs as a user runs it: ``apply`` of N regex slots and five context
defaults per bot (two bots), then ``plan`` twice. Figures:

- apply: requests sent, wall seconds, and the ratio to the bound ``requests / (1000 / 300 s)``
  (what the quota allows at best: below 1.0 is the client's burst, far above would be wasted
  waiting);
- the no-op plan: requests sent against the minimum this API needs to read the same state
  (``1 + projects x 3 + bots x (slot-filler pages + 1)``: the project list; per project its
  flows, locales and cogctl's state flow; per bot its slot fillers and its flow's context),
  and that it writes nothing.

Run: ``.venv/bin/python benchmarks/bench_ai.py [SLOTS_PER_BOT]`` (default 40).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from reconciler.emulator.cognigy_ai import TenantState, create_app
from reconciler.emulator.platform import serving

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "manifests" / "fixtures" / "cognigy-ai-tenant.yaml"
KEY = "demo-api-key"
BOTS = {"support": ("Customer Support", "Main"), "orders": ("Orders", "Main")}
QUOTA_PER_SECOND = 1000 / 300
PAGE = 100


def _project(folder: Path, url: str, slots: int) -> None:
    bots = "".join(f"      {bot}: {{project: {project}, flow: {flow}, locale: en-US}}\n"
                   for bot, (project, flow) in BOTS.items())
    (folder / "cogctl.yaml").write_text(
        f"environments:\n  ai:\n    api: cognigy-ai\n    baseUrl: {url}\n    bots:\n{bots}")
    for bot in BOTS:
        docs = [
            "apiVersion: cogctl/v1\nkind: Slot\n"
            f"metadata: {{name: s{n:03d}, bot: {bot}}}\n"
            f"spec:\n  patterns: ['\\bK{n:03d}-\\d{{4}}\\b']\n  fillStrategy: firstMatch\n"
            for n in range(slots)
        ]
        variables = "".join(f"    key_{k}: {{value: {k}, scope: conversation}}\n"
                            for k in range(5))
        docs.append("apiVersion: cogctl/v1\nkind: ContextDefaults\n"
                    f"metadata: {{name: defaults, bot: {bot}}}\nspec:\n  variables:\n"
                    + variables)
        (folder / f"{bot}.yaml").write_text("---\n".join(docs))


def _cogctl(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COGNIGY_", "COGCTL_"))}
    env.update(COGNIGY_API_KEY=KEY, COGCTL_STATE_DIR=str(folder / ".cogctl"), NO_COLOR="1")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(f"cogctl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done, elapsed


def _log(url: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = httpx.get(f"{url}/_emulator/requests").json()
    return entries


def main(argv: list[str]) -> int:
    slots = int(argv[0]) if argv else 40
    with tempfile.TemporaryDirectory() as tmp, serving.serve_in_thread(
            create_app(TenantState.from_fixture(FIXTURE))) as server:
        folder = Path(tmp)
        _project(folder, server.url, slots)
        objects = len(BOTS) * (slots + 1)
        print(f"{len(BOTS)} bots x ({slots} regex slots + context defaults) = {objects} objects")

        _, seconds = _cogctl(folder, "apply", ".", "--auto-approve", "--no-verify")
        sent = len(_log(server.url))
        bound = sent / QUOTA_PER_SECOND
        print(f"apply: {sent} requests in {seconds:.1f} s; bound requests / (1000 / 300 s) = "
              f"{bound:.1f} s; ratio {seconds / bound:.2f}")

        httpx.delete(f"{server.url}/_emulator/requests")
        plan, seconds = _cogctl(folder, "plan", ".", "--detailed-exitcode")
        log = _log(server.url)
        writes = [e for e in log if e["method"] != "GET"]
        pages = math.ceil((slots + 1) / PAGE)  # a bot's fillers, state flow's not among them
        minimum = 1 + len({p for p, _ in BOTS.values()}) * 3 + len(BOTS) * (pages + 1)
        print(f"no-op plan: exit {plan.returncode}, {len(log)} requests "
              f"({len(writes)} writes) in {seconds:.1f} s; minimum {minimum}; "
              f"ratio {len(log) / minimum:.2f}")
        if plan.returncode != 0 or writes:
            print("the second plan is not a no-op", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
