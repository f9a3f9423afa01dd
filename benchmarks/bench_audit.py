"""How costly is the audit log? Appends (each one write + fsync under a lock) and verification.

Prints:
- append latency at the start of a log and after it holds N entries: the chain continues by
  reading only the tail, so the ratio late/early should stay near 1 however long the log is;
- appends per second for one writer (fsync-bound: the figure depends on the disk);
- verification speed over the whole log (entries per second, streaming).

Run: ``.venv/bin/python benchmarks/bench_audit.py [--entries 5000]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reconciler.records import auditing

FIELDS = {
    "address": "Slot/support/order_number",
    "action": "update",
    "reason": "spec.patterns[0] changed",
    "diff": [{"path": "spec.patterns[0]", "before": "ORD-[0-9]{6}", "after": "ORD-[0-9]{8}"}],
}


def _append_times(log: auditing.AuditLog, count: int) -> list[float]:
    times = []
    for index in range(count):
        started = time.perf_counter()
        log.append("apply.write", n=index, **FIELDS)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        log = auditing.AuditLog(path)
        early = _append_times(log, 100)
        started = time.perf_counter()
        _append_times(log, args.entries)
        bulk = time.perf_counter() - started
        late = _append_times(log, 100)
        total = 200 + args.entries
        started = time.perf_counter()
        result = auditing.verify_log(path)
        verify = time.perf_counter() - started
        size = path.stat().st_size
    if not result.ok or result.entries != total:
        raise SystemExit(f"the benchmark's own log does not verify: {result}")
    early_ms = statistics.median(early) * 1000
    late_ms = statistics.median(late) * 1000
    print(f"log: {total} entries, {size / 1e6:.2f} MB")
    print(f"append median: {early_ms:.3f} ms at start, {late_ms:.3f} ms after {total - 100} "
          f"entries (ratio {late_ms / early_ms:.2f})")
    print(f"append throughput: {args.entries / bulk:,.0f} entries/s (write + fsync each)")
    print(f"verify: {verify:.3f} s, {total / verify:,.0f} entries/s")


if __name__ == "__main__":
    main()
