"""How fast is validation? Documents per second through the whole loading path.

Generates ``--documents`` manifests (a realistic mix: slots with dependencies and distinct
patterns, integrations, context defaults, simulation suites; ``--per-file`` documents per
file) into a temporary folder, then times ``validating.load_project`` over it: discovery,
reading, safe parsing with positions, ``${vars}``, model validation (regex safety analysis
included) and the cross-document rules.

Prints documents per second for three runs, each with the in-process caches emptied:

- cold: every slot pattern new (no pattern file in the state directory): CI's first run;
- disk-warm: a new process's view of CI's second run: the pattern file written by the cold
  run answers every analysis (``manifests/patterncache.py``), nothing in memory;
- warm: a second project in the same process (everything in memory).

and how long hostile files take to be refused (a billion-laughs file and a deeply nested
one). CPU time (``time.process_time``) is the figure to compare on a shared machine.

Run: ``.venv/bin/python benchmarks/bench_validate.py [--documents 10000] [--per-file 10]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from reconciler.manifests import parsing, patterncache, regexes, validating

CONFIG = """environments:
  local:
    bots: {}
    vars: {crmUrl: https://crm.example.com/api}
"""


def _slot(index: int, bot: str) -> str:
    # Chains of up to ten slots: each depends on the one before, except the first of ten.
    dependency = f"\n  dependencies: [slot_{index - 1:05d}]" if index % 10 > 1 else ""
    return f"""apiVersion: cogctl/v1
kind: Slot
metadata: {{name: slot_{index:05d}, bot: {bot}, labels: {{team: bench}}}}
spec:
  patterns: ['\\bK{index}-\\d{{6}}\\b', '(?i)key {index} (?P<value>\\w+)']
  fillStrategy: firstMatch{dependency}
"""


def _integration(index: int, bot: str) -> str:
    return f"""apiVersion: cogctl/v1
kind: Integration
metadata: {{name: integration_{index:05d}, bot: {bot}}}
spec:
  url: ${{vars.crmUrl}}/v1/items/{index}
  method: POST
  auth: {{type: bearer, secret: {{fromEnv: CRM_TOKEN}}}}
  headers: {{Accept: application/json}}
  requestMapping: {{body: {{id: '{{{{slots.id}}}}'}}}}
  responseMapping: {{extract: 'data[0].{{id: id, name: name}}', normalize: flatten}}
  timeoutSeconds: 10
"""


def _context(index: int, bot: str) -> str:
    return f"""apiVersion: cogctl/v1
kind: ContextDefaults
metadata: {{name: defaults, bot: {bot}}}
spec:
  variables:
    language: {{value: en, scope: global}}
    retries: {{value: {index % 5}, scope: conversation}}
"""


def _suite(index: int, bot: str) -> str:
    return f"""apiVersion: cogctl/v1
kind: SimulationSuite
metadata: {{name: suite_{index:05d}, bot: {bot}}}
spec:
  cases:
    - {{id: test_a{index}, userId: usr_a{index}, utterance: where is K{index}-123456}}
    - {{id: test_b{index}, userId: usr_b{index}, utterance: key {index} abc}}
"""


def generate(directory: Path, documents: int, per_file: int) -> None:
    """Write ``documents`` manifests: per 100, 80 slots, 10 integrations, 10 suites, and one
    ContextDefaults per bot (bots of 100 documents each)."""
    (directory / "cogctl.yaml").write_text(CONFIG)
    texts: list[str] = []
    for index in range(documents):
        bot = f"bot{index // 100:04d}"
        position = index % 100
        if position == 0:
            texts.append(_context(index, bot))
        elif position <= 80:
            texts.append(_slot(index, bot))
        elif position <= 90:
            texts.append(_integration(index, bot))
        else:
            texts.append(_suite(index, bot))
    for start in range(0, len(texts), per_file):
        folder = directory / f"part{start // 1000:03d}"
        folder.mkdir(exist_ok=True)
        (folder / f"m{start:06d}.yaml").write_text("---\n".join(texts[start:start + per_file]))


def _timed_load(directory: Path, documents: int, state: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one load (CPU time is steadier on a busy machine)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    project = validating.load_project([directory], environ={"COGCTL_STATE_DIR": str(state)})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if not project.ok or len(project.manifests) != documents:
        raise SystemExit(f"benchmark project invalid: {project.diagnostics[:3]}")
    return elapsed, cpu


def _hostile() -> tuple[float, float]:
    laughs = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 10)
    )
    started = time.perf_counter()
    _, stopped = parsing.parse_text(laughs)
    laughs_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _, stopped_deep = parsing.parse_text("[" * 1_000_000)
    deep_seconds = time.perf_counter() - started
    assert stopped
    assert stopped_deep
    return laughs_seconds, deep_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--per-file", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        generate(directory, args.documents, args.per_file)
        state = directory / ".state"

        def forget() -> None:
            regexes.check_pattern.cache_clear()
            patterncache.clear()
            parsing._resolve.cache_clear()

        forget()
        cold = _timed_load(directory, args.documents, state)
        forget()
        disk = _timed_load(directory, args.documents, state)
        warm = _timed_load(directory, args.documents, state)
    laughs, deep = _hostile()
    print(f"documents: {args.documents} in {-(-args.documents // args.per_file)} files")
    for label, (wall, cpu) in (("cold", cold), ("disk-warm", disk), ("warm", warm)):
        print(f"{label:9}: {wall:.2f} s wall, {args.documents / wall:,.0f} documents/s; "
              f"{cpu:.2f} s CPU, {args.documents / cpu:,.0f} documents/s")
    print(f"cold/disk-warm CPU ratio: {cold[1] / disk[1]:.2f} (the share of pattern analysis)")
    print(f"target 5,000 documents/s (CPU), disk-warm: {args.documents / disk[1]:,.0f}")
    print(f"billion-laughs file refused in {laughs * 1000:.2f} ms; "
          f"1 MB of '[' refused in {deep * 1000:.2f} ms")


if __name__ == "__main__":
    main()
