"""Canonical JSON (RFC 8785, JCS): the bytes every content hash and fingerprint is taken over.

JCS differs from ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
only in how it writes floats and how it orders non-ASCII keys (by UTF-16 code units).
``dumps`` therefore encodes once with the C encoder (built once, no circular-reference
markers) and checks the *output*, at C speed, for what could differ: a float token outside
string literals, or non-ASCII text (then a key walk). Content with neither, nearly all of
ours, is already JCS (a property test holds the two together); everything else goes through
the pure-Python ``rfc8785``.

Applied hashes are versioned (``content_hash``): ``v2:<hex SHA-256 of the JCS bytes>``.
Applied hashes written before versioning are the bare 64 hex digits of the same digest
(version 1). ``applied_hash_matches`` compares an applied hash of any known version with a
content, so an object applied by an earlier cogctl compares equal, with neither a phantom
change nor phantom drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from json import encoder as _json_encoder

from pydantic import JsonValue

HASH_VERSION = "v2"
_PREFIX = HASH_VERSION + ":"
_V1 = re.compile(r"[0-9a-f]{64}")

# One C encoder for the life of the process (json.dumps builds a new one per call).
_encode: Callable[[object, int], tuple[str, ...]] | None
_c_make = getattr(_json_encoder, "c_make_encoder", None)
_encode = (
    _c_make(None, None, _json_encoder.encode_basestring, None, ":", ",", True, False, False)
    if _c_make is not None
    else None
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_FLOAT_TOKEN = re.compile(r"\d[.eE]")  # Python writes every float with "." or "e" after a digit


def _c_dumps(content: JsonValue) -> str:
    if _encode is not None:
        return "".join(_encode(content, 0))
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def dumps(content: JsonValue) -> bytes:
    """RFC 8785 (JCS) bytes of ``content`` (see the module docstring for the fast path)."""
    try:
        text = _c_dumps(content)
    except (TypeError, ValueError):  # NaN/Infinity, or a value JSON cannot hold
        text = None
    if (
        text is not None
        and not (_FLOAT_TOKEN.search(text) and _FLOAT_TOKEN.search(_STRINGS.sub("", text)))
        and (text.isascii() or _ascii_keys(content))
    ):
        return text.encode("utf-8", "surrogatepass")
    import rfc8785  # only content with floats or non-ASCII keys needs the pure-Python JCS

    try:
        return rfc8785.dumps(content)
    except rfc8785.CanonicalizationError:
        # Integers beyond 2**53 are outside JCS; a stable form is all a hash needs.
        return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _ascii_keys(value: JsonValue) -> bool:
    """Every mapping key is ASCII: only then does code-point order equal JCS's UTF-16 order."""
    stack: list[JsonValue] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(key.isascii() for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def digest(content: JsonValue) -> str:
    """Hex SHA-256 of the JCS bytes of ``content``: the digest inside every applied-hash version."""
    return hashlib.sha256(dumps(content)).hexdigest()


def content_hash(content: JsonValue) -> str:
    """The applied hash of ``content`` in the current version: ``v2:<hex>``."""
    return _PREFIX + digest(content)


def hash_version(applied_hash: str) -> str | None:
    """``"v2"`` for a current applied hash, ``"v1"`` for a bare digest, None for anything else."""
    if applied_hash.startswith(_PREFIX):
        return HASH_VERSION if _V1.fullmatch(applied_hash, len(_PREFIX)) else None
    return "v1" if _V1.fullmatch(applied_hash) else None


def applied_hash_matches(
    applied_hash: str, content: JsonValue, *, current: str | None = None
) -> bool:
    """Does ``applied_hash`` (of any known version) describe ``content``?

    ``current``: ``content_hash(content)`` when the caller has it already (saves a hash).
    An applied hash of an unknown version matches nothing: it cannot vouch for any content.
    """
    if current is not None and applied_hash == current:
        return True
    version = hash_version(applied_hash)
    if version == HASH_VERSION:
        return applied_hash == (current or content_hash(content))
    if version == "v1":  # same digest, written bare
        return applied_hash == (current[len(_PREFIX):] if current else digest(content))
    return False
