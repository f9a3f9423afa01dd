"""Request and response mappings of an integration, as pure functions."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.jsontypes import Json
from reconciler.ops import mappings

PAYLOAD: dict[str, Json] = {"order": {"id": 7, "items": [{"sku": "A1"}]}, "name": "Ann", "none": None}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{order.id}}", 7),
        ("{{ order.items[0].sku }}", "A1"),
        ("{{order.items}}", [{"sku": "A1"}]),
        ("order {{order.id}} for {{name}}", "order 7 for Ann"),
        ("items={{order.items}}", 'items=[{"sku":"A1"}]'),
        ("{{missing}}", None),
        ("x{{none}}y", "xy"),
        ("no placeholder", "no placeholder"),
        ({"a": ["{{name}}", 3]}, {"a": ["Ann", 3]}),
        ("{{ {n: name} }}", {"n": "Ann"}),
        (12, 12),
    ],
)
def test_fill(template: Json, expected: Json) -> None:
    assert mappings.fill(template, PAYLOAD) == expected


@pytest.mark.parametrize(
    "template", ["{{slots.name}}", "{{payload.name}}", "{{name}}"],
)
def test_placeholders_reach_the_payload_three_ways(template: str) -> None:
    mapped = mappings.map_request({"query": {"who": template}}, PAYLOAD, method="GET")
    assert mapped.query == {"who": "Ann"}
    assert mapped.unresolved == ()


def test_a_payload_with_its_own_slots_key_keeps_it() -> None:
    payload: dict[str, Json] = {"slots": {"email": "a@b"}, "context": {"x": 1}}
    mapped = mappings.map_request({"e": "{{slots.email}}", "x": "{{context.x}}"}, payload,
                                  method="POST")
    assert mapped.body == {"e": "a@b", "x": 1}


def test_placeholders_the_payload_cannot_fill_are_listed() -> None:
    mapped = mappings.map_request(
        {"query": {"a": "{{slots.email}}", "b": "x{{slots.email}}y", "c": "{{name}}"}},
        PAYLOAD, method="GET")
    assert mapped.query == {"a": "", "b": "xy", "c": "Ann"}
    assert mapped.unresolved == ("slots.email",)


def test_a_broken_expression_is_a_clear_error() -> None:
    with pytest.raises(errors.ConfigError, match="JMESPath expression"):
        mappings.fill("{{ order[ }}", PAYLOAD)


@pytest.mark.parametrize(
    ("mapping", "method", "query", "headers", "body"),
    [
        ({"query": {"id": "{{order.id}}"}}, "GET", {"id": "7"}, {}, None),
        ({"id": "{{order.id}}", "who": "{{name}}"}, "GET", {"id": "7", "who": "Ann"}, {}, None),
        ({"id": "{{order.id}}"}, "POST", {}, {}, {"id": 7}),
        ({"body": {"a": 1}, "id": "{{order.id}}"}, "PUT", {}, {}, {"a": 1, "id": 7}),
        ({"body": ["{{name}}"]}, "POST", {}, {}, ["Ann"]),
        ({"headers": {"X-Order": "{{order.id}}"}}, "DELETE", {}, {"X-Order": "7"}, None),
        ({}, "POST", {}, {}, None),
    ],
)
def test_map_request(
    mapping: dict[str, Json], method: str, query: dict[str, str], headers: dict[str, str],
    body: Json,
) -> None:
    mapped = mappings.map_request(mapping, PAYLOAD, method=method)
    assert (mapped.query, mapped.headers, mapped.body) == (query, headers, body)


@pytest.mark.parametrize(
    ("mapping", "method", "message"),
    [
        ({"body": {"a": 1}}, "GET", "not allowed with GET"),
        ({"query": "{{name}}"}, "GET", "requestMapping.query must map to an object"),
        ({"body": [1], "x": 1}, "POST", "requestMapping.body must map to an object"),
    ],
)
def test_map_request_refusals(mapping: dict[str, Json], method: str, message: str) -> None:
    with pytest.raises(errors.ConfigError, match=message):
        mappings.map_request(mapping, PAYLOAD, method=method)


BODY: Json = {"data": {"orderId": 7, "Status": {"HTTPCode": 200, "tags": ["a", "b"]}, "empty": {}}}


@pytest.mark.parametrize(
    ("extract", "normalize", "expected"),
    [
        (None, "none", BODY),
        ("data.orderId", "none", 7),
        ("data.orderId", "flatten", 7),
        ("data", "flatten",
         {"orderId": 7, "Status.HTTPCode": 200, "Status.tags.0": "a", "Status.tags.1": "b",
          "empty": {}}),
        ("data", "map_keys",
         {"order_id": 7, "status": {"http_code": 200, "tags": ["a", "b"]}, "empty": {}}),
        ("data.Status.tags", "flatten", {"0": "a", "1": "b"}),
        ("nothing.here", "none", None),
    ],
)
def test_map_response(extract: str | None, normalize: str, expected: Json) -> None:
    assert mappings.map_response(BODY, extract=extract, normalize=normalize) == expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [("orderId", "order_id"), ("Order-Status", "order_status"), ("HTTPCode", "http_code"),
     ("already_snake", "already_snake"), ("a.b c", "a_b_c"), ("ID", "id"), ("-", "-")],
)
def test_snake_case(key: str, expected: str) -> None:
    assert mappings.snake_case(key) == expected


@pytest.mark.parametrize(
    ("result", "keys", "missing"),
    [
        ({"a": 1, "b": {"c": 2}}, ["a", "b.c"], []),
        ({"a": 1}, ["a", "z"], ["z"]),
        ({"a.b": 1}, ["a.b"], []),
        ([{"id": 1}, {"id": 2}], ["id"], []),
        ([{"id": 1}, {"x": 2}], ["id"], ["id"]),
        ([], ["id"], ["id"]),
        ({"items": [{"sku": "x"}]}, ["items.0.sku"], []),
        (None, ["a"], ["a"]),
        ("text", [], []),
    ],
)
def test_missing_keys(result: Json, keys: list[str], missing: list[str]) -> None:
    assert mappings.missing_keys(result, keys) == missing
