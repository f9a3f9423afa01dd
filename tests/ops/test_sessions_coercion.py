"""Session variable coercion: the documented table, row by row."""

from __future__ import annotations

import math

import pytest

from reconciler.ops import sessions


@pytest.mark.parametrize(
    ("raw", "expected", "type_name"),
    [
        ("true", True, "boolean"),
        ("false", False, "boolean"),
        ("True", "True", "string"),
        ("FALSE", "FALSE", "string"),
        ("0", 0, "integer"),
        ("42", 42, "integer"),
        ("-17", -17, "integer"),
        ("123456789012345678901234567890", 123456789012345678901234567890, "integer"),
        ("007", "007", "string"),
        ("-007", "-007", "string"),
        ("+5", "+5", "string"),
        ("1_000", "1_000", "string"),
        (" 42", " 42", "string"),
        ("1.5", 1.5, "number"),
        ("-0.25", -0.25, "number"),
        ("2e3", 2000.0, "number"),
        ("-2E-3", -0.002, "number"),
        ("NaN", "NaN", "string"),
        ("nan", "nan", "string"),
        ("Infinity", "Infinity", "string"),
        ("inf", "inf", "string"),
        (".5", ".5", "string"),
        ("5.", "5.", "string"),
        ("00.5", "00.5", "string"),
        ('{"a": 1, "b": [true, null]}', {"a": 1, "b": [True, None]}, "object"),
        ("[1, 2, 3]", [1, 2, 3], "array"),
        ("[]", [], "array"),
        ('{"a": NaN}', '{"a": NaN}', "string"),
        ("{not json}", "{not json}", "string"),
        ('"quoted"', '"quoted"', "string"),
        ("null", "null", "string"),
        ("", "", "string"),
        ("hello world", "hello world", "string"),
        ("[" * 5000 + "]" * 5000, "[" * 5000 + "]" * 5000, "string"),
    ],
)
def test_coerce_follows_the_documented_table(raw: str, expected: object, type_name: str) -> None:
    value = sessions.coerce(raw)
    assert value == expected
    assert type(value) is type(expected)
    assert sessions.type_name(value) == type_name


def test_a_finite_float_never_becomes_infinite() -> None:
    for raw in ("1e308", "1.7976931348623157e308", "-1e308"):
        value = sessions.coerce(raw)
        assert isinstance(value, float)
        assert math.isfinite(value)


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "1E400", "9" * 5000, "-" + "1" * 4301])
def test_a_number_json_cannot_carry_is_refused_not_guessed(raw: str) -> None:
    with pytest.raises(ValueError, match=r"too large to be finite|digits is too long"):
        sessions.coerce(raw)


def test_a_tenant_value_we_cannot_read_names_the_variable() -> None:
    from reconciler import errors

    variables = [{"name": "balance", "value": "9" * 5000, "scope": "session", "type": "string"}]
    with pytest.raises(errors.BackendError, match="session variable 'balance'"):
        sessions.candidates(variables)  # type: ignore[arg-type]
