"""The audit log: an append-only, hash-chained record of what the reconciler did.

Format: JSON lines (default ``.cogctl/audit.jsonl``; ``--audit-log`` or ``COGCTL_AUDIT_LOG``).
Each line is one entry::

    {"ts": "2026-11-22T00:30:00.123456Z", "event": "apply.write", "fields": {...},
     "prev_hash": "<64 hex>", "hash": "<64 hex>"}

Invariants:

- ``hash`` is the hex SHA-256 of the entry's canonical JSON (RFC 8785) without ``hash``; it
  covers ``ts``, ``event``, ``fields`` and ``prev_hash``, so changing any byte of meaning
  breaks it.
- ``prev_hash`` is the previous line's ``hash``; the first entry's is 64 zeros. Deleting,
  inserting or reordering lines breaks the chain; truncating the tail does not, which is why
  ``verify_log`` reports the last hash: anchor it elsewhere (a CI artifact, a job summary).
- One entry is one ``write(2)`` of a whole line, then ``fsync``, under an exclusive lock
  (``filelock`` on ``<log>.lock``: ``flock`` on POSIX, ``msvcrt`` locking on Windows):
  two processes appending at once keep the chain valid, and a crash leaves at most
  one torn last line. The next append cuts that torn tail off and records an
  ``audit.recovered`` entry saying how many bytes it dropped, so the chain goes on.
- Secrets never enter the log: ``append`` refuses a field (at any depth) whose key looks
  secret (secret, token, password, authorization, api key, credential, ...) unless its value
  is a placeholder: ``"(sensitive)"``, a boolean, None, a reference ``{"fromEnv": NAME}``,
  or, under a key ending ``_env``/``Env``, an environment variable's name. Saying *whether*
  a secret changed, or *where* it comes from, is fine; its value is not.

``verify_log`` is the reader: it streams the file and names the first bad line and why.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import filelock
import rfc8785

from reconciler import errors, fileio, jsontypes, statedir
from reconciler.core.plans import SENSITIVE

GENESIS_HASH = "0" * 64
# What ``verify`` reads of one line at most: an entry is far smaller; /dev/zero has no end.
MAX_LINE_BYTES = 1024 * 1024
ENV_VAR = "COGCTL_AUDIT_LOG"

# Keys that name a secret anywhere in a field's (nested) value.
_SECRET_KEY = re.compile(
    r"secret|token|passw(or)?d|authori[sz]ation|api[_-]?key|credential|private[_-]?key",
    re.IGNORECASE,
)
_ENV_KEY = re.compile(r"(_env|Env|_ENV)$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ENTRY_KEYS = frozenset({"ts", "event", "fields", "prev_hash", "hash"})
_TAIL_CHUNK = 8192
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class AuditEntry(TypedDict):
    ts: str
    event: str
    fields: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of ``verify_log``.

    Invariant: ``ok`` is True exactly when ``first_bad_line`` and ``reason`` are None;
    ``entries`` counts the intact entries before the first bad line; ``last_hash`` is the
    hash of the last intact entry (None for an empty log).
    """

    ok: bool
    entries: int
    first_bad_line: int | None = None
    reason: str | None = None
    last_hash: str | None = None
    anchor_line: int | None = None  # the line holding ``verify_log(anchor=...)``, if intact


def default_path(env: Mapping[str, str] = os.environ, *,
                 project_file: Path | None = None) -> Path:
    """``COGCTL_AUDIT_LOG``, else ``audit.jsonl`` in the state directory (``.cogctl``, beside
    ``project_file`` when given: ``statedir.state_dir``)."""
    explicit = env.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    return statedir.state_dir(env, project_file=project_file) / "audit.jsonl"


def entry_hash(entry: Mapping[str, Any]) -> str:
    """Hex SHA-256 over the canonical JSON of ``entry`` without its ``hash`` key."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _format_ts(moment: _dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("the audit clock must return timezone-aware datetimes")
    utc = moment.astimezone(_dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_placeholder(key: str, value: object) -> bool:
    """Values a secret-looking key may hold: they say *that* or *where*, never *what*."""
    if value == SENSITIVE or value is None or isinstance(value, bool):
        return True
    is_env_name = isinstance(value, str) and _ENV_NAME.fullmatch(value) is not None
    if _ENV_KEY.search(key) and is_env_name:
        return True  # ``secret_env: CRM_TOKEN`` names a variable, it holds no value
    if isinstance(value, Mapping) and set(value) == {"fromEnv"}:
        return isinstance(value["fromEnv"], str) and bool(_ENV_NAME.fullmatch(value["fromEnv"]))
    return False


def _check_no_secrets(value: object, where: str) -> None:
    """Raise ValueError when a secret-looking key holds anything but a placeholder."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{where}.{key}"
            if isinstance(key, str) and _SECRET_KEY.search(key):
                if not _is_placeholder(key, inner):
                    raise ValueError(
                        f"audit field {path!r} looks like a secret; log {SENSITIVE!r} instead"
                    )
                continue
            _check_no_secrets(inner, path)
    elif isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            _check_no_secrets(inner, f"{where}[{index}]")


def _encode_line(entry: Mapping[str, Any]) -> bytes:
    # ASCII only: U+2028, U+0085 and friends stay escaped, so every line reader agrees
    # where a line ends. The hash is over the parsed content, not these bytes.
    text = jsontypes.dumps(entry, ensure_ascii=True, compact=True)
    return text.encode("ascii") + b"\n"


class AuditLog:
    """Appends hash-chained entries to one JSON-lines file; see the module docstring."""

    def __init__(
        self, path: Path, *, clock: Callable[[], _dt.datetime] | None = None
    ) -> None:
        self.path = Path(path)
        self._clock = clock or _utc_now

    def append(self, event: str, **fields: object) -> AuditEntry:
        """Add one entry and return it (with its hash). Field values must be JSON.

        Raises ValueError for a secret-looking field or a value that is not JSON, and
        ``errors.CogctlError`` when the log cannot be written or its last entry is damaged.
        """
        if not event:
            raise ValueError("an audit event needs a name")
        _check_no_secrets(fields, "fields")
        try:
            rfc8785.dumps(fields)  # type: ignore[arg-type]  # checked at run time here
        except rfc8785.CanonicalizationError as exc:
            raise ValueError(f"audit fields of {event!r} are not JSON: {exc}") from exc
        try:
            return self._append_locked(event, dict(fields))
        except OSError as exc:
            raise errors.AuditError(
                f"cannot write the audit log {self.path}: {exc.strerror or exc}",
                hint=f"check the path or set {ENV_VAR} / --audit-log",
            ) from exc

    def _append_locked(self, event: str, fields: dict[str, Any]) -> AuditEntry:
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(f"{self.path}.lock", mode=0o600)
        with lock:
            return self._append_unlocked(event, fields, created)

    def _append_unlocked(self, event: str, fields: dict[str, Any], created: bool) -> AuditEntry:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | _O_BINARY, 0o600)
        try:
            prev_hash, torn = self._read_tail(fd)
            if torn:
                # A crash cut the last write short; those bytes never formed an entry.
                os.ftruncate(fd, os.fstat(fd).st_size - torn)
                recovered = self._build("audit.recovered", {"dropped_bytes": torn}, prev_hash)
                self._write(fd, recovered)
                prev_hash = recovered["hash"]
            entry = self._build(event, fields, prev_hash)
            self._write(fd, entry)
            return entry
        finally:
            os.close(fd)
            if created:
                _fsync_dir(self.path.parent)

    def _build(self, event: str, fields: dict[str, Any], prev_hash: str) -> AuditEntry:
        ts = _format_ts(self._clock())
        unsigned = {"ts": ts, "event": event, "fields": fields, "prev_hash": prev_hash}
        return AuditEntry(
            ts=ts, event=event, fields=fields, prev_hash=prev_hash, hash=entry_hash(unsigned)
        )

    @staticmethod
    def _write(fd: int, entry: AuditEntry) -> None:
        data = memoryview(_encode_line(entry))
        while data:
            written = os.write(fd, data)
            data = data[written:]
        os.fsync(fd)

    def _read_tail(self, fd: int) -> tuple[str, int]:
        """The last entry's hash and the size of a torn tail (0 when the file ends cleanly)."""
        size = os.fstat(fd).st_size
        if size == 0:
            return GENESIS_HASH, 0
        tail = b""
        position = size
        # Read backwards until the tail holds the whole last complete line.
        while position > 0 and tail.count(b"\n") < 2:
            step = min(_TAIL_CHUNK, position)
            position -= step
            tail = _read_at(fd, step, position) + tail
        torn = 0 if tail.endswith(b"\n") else len(tail) - (tail.rfind(b"\n") + 1)
        complete = tail[: len(tail) - torn]
        if not complete:
            return GENESIS_HASH, torn
        last_line = complete[:-1].rsplit(b"\n", 1)[-1]
        problem = _check_entry(last_line)
        if isinstance(problem, str):
            raise errors.CogctlError(
                f"the audit log {self.path} is damaged at its last entry: {problem}",
                hint="run 'cogctl audit verify' and keep the file as evidence; start a new log",
            )
        return problem["hash"], torn


def _read_at(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (``os.pread`` where it exists; Windows has none)."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the entry itself is synced
    finally:
        os.close(fd)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _check_entry(raw: bytes) -> dict[str, Any] | str:
    """The parsed entry when its shape and own hash hold, else why not."""
    try:
        entry = jsontypes.loads(raw, object_pairs_hook=_reject_duplicates)
    except ValueError as exc:
        return f"unparsable line ({exc})"
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
        return "malformed entry (expected keys ts, event, fields, prev_hash, hash)"
    if not (
        isinstance(entry["ts"], str)
        and isinstance(entry["event"], str)
        and isinstance(entry["fields"], dict)
        and isinstance(entry["prev_hash"], str)
        and isinstance(entry["hash"], str)
        and _HEX64.fullmatch(entry["prev_hash"])
        and _HEX64.fullmatch(entry["hash"])
    ):
        return "malformed entry (a field has the wrong type)"
    try:
        actual = entry_hash(entry)
    except rfc8785.CanonicalizationError as exc:
        return f"unparsable line ({exc})"
    if actual != entry["hash"]:
        return "hash mismatch: the entry was changed after it was written"
    return entry


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(1-based number, bytes without newline, whether the line was newline-terminated)."""
    with fileio.open_regular(path) as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise fileio.FileRefusedError(errno.EFBIG, f"line {number} is longer than "
                                              f"{MAX_LINE_BYTES} bytes", str(path))
            terminated = raw.endswith(b"\n")
            yield number, raw[:-1] if terminated else raw, terminated


def verify_log(path: Path, *, anchor: str | None = None) -> VerifyResult:
    """Check every entry's hash and the chain; stop at the first bad line and say why.

    ``anchor`` is a hash recorded earlier (e.g. the last hash a CI run printed): the result
    names the intact line holding it, or None when it is gone, which shows entries cut off
    the end, something the chain alone cannot show. A missing file raises
    ``errors.CogctlError``; an empty file is intact with 0 entries.
    """
    try:
        return _verify_lines(_lines(Path(path)), anchor)
    except FileNotFoundError as exc:
        raise errors.CogctlError(
            f"no audit log at {path}", hint=f"pass the file or set {ENV_VAR}"
        ) from exc
    except OSError as exc:
        raise errors.CogctlError(f"cannot read the audit log {path}: {exc.strerror}") from exc


def _verify_lines(lines: Iterator[tuple[int, bytes, bool]], anchor: str | None) -> VerifyResult:
    prev_hash = GENESIS_HASH
    count = 0
    last: str | None = None
    anchor_line: int | None = None

    def bad(number: int, reason: str) -> VerifyResult:
        return VerifyResult(False, count, first_bad_line=number, reason=reason, last_hash=last,
                            anchor_line=anchor_line)

    for number, raw, terminated in lines:
        if not terminated:
            return bad(number, "torn write: the last line is incomplete (a crash mid-append)")
        checked = _check_entry(raw)
        if isinstance(checked, str):
            return bad(number, checked)
        if checked["prev_hash"] != prev_hash:
            if number == 1:
                return bad(number, "broken chain: the first entry's prev_hash is not 64 zeros "
                                   "(entries before it were removed)")
            return bad(number, f"broken chain: prev_hash does not match line {number - 1}'s "
                               "hash (a line was deleted, inserted or reordered)")
        prev_hash = last = checked["hash"]
        count += 1
        if last == anchor:
            anchor_line = number
    return VerifyResult(True, count, last_hash=last, anchor_line=anchor_line)
