"""The fast canonical-JSON path writes exactly what RFC 8785 (the ``rfc8785`` package) writes."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core import canonical

_SAFE_INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_ASCII_KEYS = st.text(st.characters(max_codepoint=127), max_size=8)


def _json(scalars: st.SearchStrategy[object], keys: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=20,
    )


@settings(max_examples=150, deadline=None)
@given(_json(st.none() | st.booleans() | _SAFE_INT | _TEXT, _ASCII_KEYS))
def test_fast_path_is_byte_identical_to_rfc8785(value: object) -> None:
    assert canonical.dumps(value) == rfc8785.dumps(value)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(_json(st.floats(allow_nan=False, allow_infinity=False) | _TEXT | _SAFE_INT,
             st.text(max_size=4).filter(lambda k: all(not 0xD800 <= ord(c) <= 0xDFFF for c in k))))
def test_floats_and_unicode_keys_take_the_rfc8785_path(value: object) -> None:
    assert canonical.dumps(value) == rfc8785.dumps(value)  # type: ignore[arg-type]


def test_integers_beyond_jcs_still_have_a_stable_form() -> None:
    assert canonical.dumps({"n": 2**60}) == b'{"n":1152921504606846976}'
    assert canonical.dumps({"n": 2**60, "f": 1.5}) == canonical.dumps({"f": 1.5, "n": 2**60})
