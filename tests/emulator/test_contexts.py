"""Context defaults and conversation context: merge PATCH, If-Match, limits."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Authed

DEFAULTS = "/api/v1/bots/bot_support/context"


def test_defaults_read_and_merge(admin: Authed) -> None:
    current = admin.get(DEFAULTS)
    assert current.status_code == 200
    body = current.json()
    assert body["context"] == {"locale": {"value": "en-US", "scope": "global"}}
    assert current.headers["ETag"] == f'"{body["contextVersion"]}"'
    patched = admin.patch(DEFAULTS, headers={"If-Match": body["contextVersion"]}, json={
        "context": {"tier": {"value": {"name": "gold"}, "scope": "user"}, "locale": None}})
    assert patched.status_code == 200
    assert patched.json()["context"] == {"tier": {"value": {"name": "gold"}, "scope": "user"}}
    assert patched.json()["contextVersion"] != body["contextVersion"]
    assert admin.get(DEFAULTS).json() == patched.json()


def test_defaults_stale_version_conflicts(admin: Authed) -> None:
    version = admin.get(DEFAULTS).json()["contextVersion"]
    admin.patch(DEFAULTS, json={"context": {"a": {"value": 1, "scope": "global"}}})
    stale = admin.patch(DEFAULTS, headers={"If-Match": f'"{version}"'},
                        json={"context": {"b": {"value": 2, "scope": "global"}}})
    assert stale.status_code == 409
    assert stale.json()["currentVersion"] == admin.get(DEFAULTS).json()["contextVersion"]
    assert "b" not in admin.get(DEFAULTS).json()["context"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"bad-key": {"value": 1, "scope": "global"}}, "key must match"),
        ({"k": {"value": 1, "scope": "galaxy"}}, "scope"),
        ({"k": {"value": "x" * (10 * 1024)}}, "10 KB"),
        ({"k": {"value": 1, "scope": "global", "extra": 1}}, "extra"),
        ({"k": 5}, "context.k"),
    ],
)
def test_defaults_limits(admin: Authed, change: dict[str, Any], needle: str) -> None:
    answer = admin.patch(DEFAULTS, json={"context": change})
    assert answer.status_code == 400, answer.text
    assert needle in answer.text


def test_defaults_value_of_just_under_10_kb_is_accepted(admin: Authed) -> None:
    value = "x" * (10 * 1024 - 2)  # plus two quotes: exactly 10 KB as JSON
    answer = admin.patch(DEFAULTS, json={"context": {"k": {"value": value, "scope": "global"}}})
    assert answer.status_code == 200


def test_defaults_whole_context_limit(admin: Authed) -> None:
    chunk = "x" * 10_000
    for start in range(0, 50, 10):
        batch = {f"k{i}": {"value": chunk, "scope": "global"} for i in range(start, start + 10)}
        assert admin.patch(DEFAULTS, json={"context": batch}).status_code == 200
    too_much = {f"k{i}": {"value": chunk, "scope": "global"} for i in range(50, 60)}
    answer = admin.patch(DEFAULTS, json={"context": too_much})
    assert answer.status_code == 400
    assert "512 KB" in answer.json()["message"]


def test_defaults_body_must_carry_context(admin: Authed) -> None:
    assert admin.patch(DEFAULTS, json={"nope": {}}).status_code == 400
    assert admin.patch(DEFAULTS, content=b"{not json").status_code == 400


def test_conversation_context(admin: Authed) -> None:
    current = admin.get("/api/v1/context/conv_1")
    assert current.status_code == 200
    assert current.json()["context"] == {"language": "en"}
    version = current.json()["contextVersion"]
    patched = admin.patch("/api/v1/context", headers={"If-Match": f'"{version}"'}, json={
        "conversationId": "conv_1", "context": {"cart": [1, 2], "language": None}})
    assert patched.status_code == 200
    body = patched.json()
    assert body["conversationId"] == "conv_1"
    assert body["context"] == {"cart": [1, 2]}
    assert patched.headers["ETag"] == f'"{body["contextVersion"]}"'
    stale = admin.patch("/api/v1/context", headers={"If-Match": version},
                        json={"conversationId": "conv_1", "context": {"x": 1}})
    assert stale.status_code == 409
    assert stale.json()["currentVersion"] == body["contextVersion"]


def test_conversation_context_errors(admin: Authed) -> None:
    assert admin.get("/api/v1/context/nope").status_code == 404
    assert admin.patch("/api/v1/context", json={
        "conversationId": "nope", "context": {}}).status_code == 404
    assert admin.patch("/api/v1/context", json={"context": {}}).status_code == 400
    big = admin.patch("/api/v1/context", json={
        "conversationId": "conv_1", "context": {"x": "y" * 20_000}})
    assert big.status_code == 400
