"""Canonical JSON (RFC 8785, JCS): the bytes every content hash and fingerprint is taken over.

JCS differs from ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
only in how it writes floats and how it orders non-ASCII keys (by UTF-16 code units).
Content with neither, which is nearly all of ours, goes through the C encoder,
byte-identical (a property test holds the two together) and many times faster than the
pure-Python ``rfc8785``; everything else goes through ``rfc8785``.
"""

from __future__ import annotations

import json
from typing import cast

import rfc8785
from pydantic import JsonValue

_SCALARS = frozenset({str, int, bool, type(None)})


def dumps(content: JsonValue) -> bytes:
    """RFC 8785 (JCS) bytes of ``content`` (see the module docstring for the fast path)."""
    if _plain_json(content):
        return json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    try:
        return rfc8785.dumps(content)
    except rfc8785.CanonicalizationError:
        # Integers beyond 2**53 are outside JCS; a stable form is all a hash needs.
        return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _plain_json(value: JsonValue) -> bool:
    """No floats anywhere and only ASCII keys: the C encoder writes exactly JCS."""
    stack: list[JsonValue] = [value]
    while stack:  # iterative and type()-based: this runs for every object of every plan
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            mapping = cast(dict[str, JsonValue], item)
            if not all(key.isascii() for key in mapping):
                return False
            stack.extend(mapping.values())
        elif kind is list:
            stack.extend(cast(list[JsonValue], item))
        elif kind not in _SCALARS:  # floats, and anything unusual, take the JCS path
            return False
    return True
