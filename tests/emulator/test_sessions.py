"""Session variables: strings, system variables, filters, pagination."""

from __future__ import annotations

import pytest

from .conftest import Authed

VARS = "/api/v2/botsessions/sess_1/variables"


def test_values_arrive_as_strings_and_system_variables_are_hidden(admin: Authed) -> None:
    body = admin.get(VARS).json()
    values = {v["name"]: (v["value"], v["type"], v["scope"]) for v in body["variables"]}
    assert values == {
        "customer_name": ("Ada", "string", "user"),
        "cart_total": ("42.5", "number", "session"),
        "cart_items": ("[1,2]", "array", "session"),
        "vip": ("true", "boolean", "user"),
        "greeting": ("hi", "string", "global"),
    }
    assert body["pagination"] == {"total": 5, "limit": 25, "offset": 0}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("includeSystem=true", ["customer_name", "cart_total", "cart_items", "vip",
                                "_internal_id", "greeting"]),
        ("name=cart", ["cart_total", "cart_items"]),
        ("scope=user", ["customer_name", "vip"]),
        ("name=_&includeSystem=true", ["_internal_id"]),
        ("name=_", []),
        ("limit=2&offset=1", ["cart_total", "cart_items"]),
    ],
)
def test_filters(admin: Authed, query: str, names: list[str]) -> None:
    body = admin.get(f"{VARS}?{query}").json()
    assert [v["name"] for v in body["variables"]] == names


def test_errors(admin: Authed) -> None:
    assert admin.get(f"{VARS}?scope=planet").status_code == 400
    assert admin.get(f"{VARS}?scope=").status_code == 400
    assert admin.get(f"{VARS}?includeSystem=yes").status_code == 400
    assert admin.get("/api/v2/botsessions/nope/variables").status_code == 404
