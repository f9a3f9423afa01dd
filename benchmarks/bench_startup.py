"""How fast does cogctl start? ``--help``, ``validate`` and ``plan`` of the example project.

Each command runs as a user runs it (``python -m reconciler``, a fresh interpreter) in a copy
of ``manifests/`` with its own state directory, 5 times; printed are the median wall time,
the median CPU time of the child (user + system, steadier on a shared machine), which of the
heavy libraries it loaded, and ``python -X importtime``'s total for its imports.

``--baseline DIR`` runs the same commands against another checkout (``PYTHONPATH=DIR``), for
a before/after in one run.

Targets: ``validate`` <= 0.25 s and ``plan`` (embedded emulator) <= 0.35 s wall, median of 5.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--baseline DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("rich", "deepdiff", "jsonschema", "starlette", "uvicorn", "httpx", "tenacity",
         "prometheus_client", "standardwebhooks", "pygments", "regexploit", "re2")
COMMANDS = {"--help": ["--help"], "validate": ["validate", "manifests"],
            "plan": ["plan", "manifests"]}
TARGETS = {"validate": 0.25, "plan": 0.35}
_PROBE = """
import json, os, sys
from reconciler.cli import main
sys.argv = ["cogctl", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = json.loads(os.environ["PROBE_MODULES"])
sys.__stderr__.write("PROBE " + json.dumps(sorted(m for m in heavy if m in sys.modules)) + "\\n")
"""


def _env(project: Path, pythonpath: str | None) -> dict[str, str]:
    env = {**os.environ, "COGCTL_STATE_DIR": str(project / ".state"),
           "PROBE_MODULES": json.dumps(HEAVY)}
    env.pop("COGNIGY_TENANT_URL", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


def _timed(args: list[str], project: Path, pythonpath: str | None) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=project,
                   env=_env(project, pythonpath), capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _loaded(args: list[str], project: Path, pythonpath: str | None) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=project,
                          env=_env(project, pythonpath), capture_output=True, text=True,
                          check=False)
    line = next((x for x in done.stderr.splitlines() if x.startswith("PROBE ")), "PROBE []")
    return list(json.loads(line[6:]))


def _import_ms(args: list[str], project: Path, pythonpath: str | None) -> float:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "reconciler", *args],
                          cwd=project, env=_env(project, pythonpath), capture_output=True,
                          text=True, check=False)
    total = 0
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\S.*)$", line)
        if found:  # top-level entries only: their cumulative times add up to the whole
            total += int(found.group(2))
    return total / 1000


def measure(label: str, pythonpath: str | None, runs: int) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        project = Path(temporary)
        shutil.copytree(ROOT / "manifests", project / "manifests")
        print(f"{label}:")
        print(f"  {'command':9} {'wall (median)':>13} {'CPU (median)':>13} {'imports':>9}  "
              "heavy modules loaded")
        for name, args in COMMANDS.items():
            _timed(args, project, pythonpath)  # warm the state dir and the page cache
            times = [_timed(args, project, pythonpath) for _ in range(runs)]
            wall = statistics.median(t[0] for t in times)
            cpu = statistics.median(t[1] for t in times)
            target = f" (target {TARGETS[name]:.2f} s)" if name in TARGETS else ""
            imports = _import_ms(args, project, pythonpath)
            loaded = ", ".join(_loaded(args, project, pythonpath)) or "-"
            print(f"  {name:9} {wall:12.3f}s {cpu:12.3f}s {imports:7.0f}ms  {loaded}{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.baseline:
        measure(f"baseline ({args.baseline})", str(args.baseline), args.runs)
    measure("this checkout", None, args.runs)


if __name__ == "__main__":
    main()
