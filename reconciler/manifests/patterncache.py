"""Slot-pattern analyses remembered: in-process, and on disk so a second run starts warm.

``check_pattern`` answers exactly what ``regexes.check_pattern`` answers (the reason a
pattern is refused, or None), remembering every answer by pattern. ``on_disk(path)`` also
reads and, on leaving, writes the answers to a JSON file (``<state dir>/patterns.json``):

    {"analyzer": "<version>", "results": {"<pattern>": "<reason>" | null, ...}}

The analyzer's version is a digest of the analysing module's source, its libraries'
versions and Python's: any change to the analysis, or an upgrade of regexploit or RE2,
starts a new file rather than trusting old answers. Computing it reads a file and a few
package versions; ``regexes`` (and RE2 and regexploit with it) is imported only when a
pattern is not known yet, so a warm ``cogctl validate`` never loads the analysers.

A damaged or foreign file is ignored (the answers are recomputed); a write that fails is
ignored too (the cache only saves time). Writes are atomic.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from reconciler import fileio, jsontypes

FILE_NAME = "patterns.json"
_ANALYZER_MODULE = "reconciler.manifests.regexes"
_PACKAGE = "reconciler.manifests"
MAX_FILE_BYTES = 64 * 1024 * 1024
_LIBRARIES = ("regexploit", "google-re2")

_known: dict[str, str | None] = {}
_disk: _DiskCache | None = None


def analyzer_sources() -> list[Path]:
    """The analyser's module and every module of this package it imports (``ambiguity``...)."""
    spec = importlib.util.find_spec(_ANALYZER_MODULE)
    if spec is None or spec.origin is None:
        return []
    main = Path(spec.origin)
    found = [main]
    with contextlib.suppress(OSError, SyntaxError):
        for node in ast.walk(ast.parse(main.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == _PACKAGE:
                found.extend(main.with_name(f"{alias.name}.py") for alias in node.names)
    return sorted(found)


@functools.lru_cache(maxsize=1)
def analyzer_version() -> str:
    """A digest of what decides an answer: the analyser's sources and its libraries."""
    digest = hashlib.sha256()
    for source in analyzer_sources():
        with contextlib.suppress(OSError):
            digest.update(source.read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"\0{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"\0{library}=none".encode())
    digest.update(f"\0python={sys.version_info[:2]}".encode())
    return digest.hexdigest()[:32]


def check_pattern(pattern: str) -> str | None:
    """``regexes.check_pattern(pattern)``, remembered (and saved, inside ``on_disk``)."""
    if pattern in _known:
        reason = _known[pattern]
        if _disk is not None and pattern not in _disk.results:
            _disk.results[pattern] = reason
            _disk.dirty = True
        return reason
    if _disk is not None and pattern in _disk.results:
        reason = _disk.results[pattern]
    else:
        from reconciler.manifests import regexes  # the analysers load on the first miss only

        reason = regexes.check_pattern(pattern)
        if _disk is not None:
            _disk.results[pattern] = reason
            _disk.dirty = True
    _known[pattern] = reason
    return reason


def clear() -> None:
    """Forget every in-process answer (benchmarks measure a cold start with it)."""
    _known.clear()


class _DiskCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.version = analyzer_version()
        self.results: dict[str, str | None] = {}
        self.dirty = False
        try:
            document = jsontypes.loads(fileio.read_bounded(path, MAX_FILE_BYTES))
        except (OSError, ValueError):
            return
        if not isinstance(document, dict) or document.get("analyzer") != self.version:
            return
        results = document.get("results")
        if isinstance(results, dict):
            self.results = {
                k: v for k, v in results.items()
                if isinstance(k, str) and (v is None or isinstance(v, str))
            }

    def save(self) -> None:
        if not self.dirty:
            return
        text = jsontypes.dumps({"analyzer": self.version, "results": self.results},
                               sort_keys=True)
        try:
            fileio.write_atomic(self.path, text, mode=0o644)
        except OSError:
            return
        self.dirty = False


@contextlib.contextmanager
def on_disk(path: Path) -> Iterator[None]:
    """Inside: answers are also read from and (on leaving) written to ``path``."""
    global _disk
    outer = _disk
    _disk = _DiskCache(path)
    try:
        yield
    finally:
        _disk.save()
        _disk = outer
