"""Run every benchmark in turn: ``make bench`` or ``python -m benchmarks [NAME ...]``.

Each ``bench_*.py`` is a standalone script that prints its figures and ratios; this runner
only sequences them (one process each, so one benchmark's memory never skews the next) and
says how long each took. Figures are recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        wanted = {name.removeprefix("bench_").removesuffix(".py") for name in argv}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
        if not scripts:
            print(f"no benchmark named {', '.join(sorted(wanted))}", file=sys.stderr)
            return 1
    failed = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        elapsed = time.perf_counter() - started
        print(f"== {script.stem}: exit {code} in {elapsed:.1f}s\n", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
