"""The pure translation between an ``Integration`` and an HTTP Request node plus a Connection.

- One node (``type: httpRequest``, extension ``@cognigy/basic-nodes``) per integration, in
  the bot's integrations flow, labelled with the integration's name; its ``comment`` is
  cogctl's marker ``cogctl:<address>`` (how a node whose create answer was lost is found
  again), then the description. ``status: INACTIVE`` is ``isDisabled``. The answer is stored
  in the context under the integration's name.
- The secret is the ``fields`` of one Connection (``cogctl-<bot>-<name>``), write-only: the
  state keeps ``sha256("<node _id>:<secret>")`` (the core's fingerprint) and the
  connection's ``lastChanged`` when cogctl wrote it; a connection written since by someone
  else, or gone, reads as a secret of unknown value (the plan then writes it again).
- Chart nodes have no ``lastChanged``: the node's managed fields are always hashed. While the
  hash is the one cogctl recorded, the integration reads back as cogctl wrote it (the state
  keeps the manifest's own form: placeholders, header names); a node edited outside reads
  field by field from the node, and a managed field without a manifest counterpart
  (``storeLocation``, ``contextKey``, ...) that moved shows as the label ``EDITED_LABEL``, so
  every edit is a difference the plan reports as drift.
- Which auth maps to which node ``authType`` and connection type, and how placeholders read on
  the node, are ``aiapi``'s rules (validate refuses what has none).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from reconciler import errors
from reconciler.backend.cognigy_ai import mapping
from reconciler.core import livetypes as lt
from reconciler.core import normalizing
from reconciler.manifests import aiapi, rules

NODE_TYPE = "httpRequest"
EXTENSION = "@cognigy/basic-nodes"
MARKER = "cogctl:"
EDITED_LABEL = "cogctl/node-edited"
CONNECTION_FIELDS = ("basicConnection", "oAuth2Connection", "apiKeyAuthKeyConnection",
                     "apiKeyXKeyConnection")
# Node config keys cogctl writes and hashes; everything else of the config is left alone.
MANAGED_CONFIG = ("type", "url", "headers", "payloadType", "payloadJSON", "storeLocation",
                  "contextKey", "authType", *CONNECTION_FIELDS, "timeout", "async")
_UNMAPPED = ("payloadType", "storeLocation", "contextKey", "async")
_REVERSE_AUTH = {"apiKeyXKey": ("api_key", "X-API-Key"), "apiKeyAuthKey": ("bearer", None),
                 "basic": ("basic", None), "none": ("none", None)}


def address(bot: str, name: str) -> str:
    return f"Integration/{bot}/{name}"


def connection_name(bot: str, name: str) -> str:
    return f"cogctl-{bot}-{name}"


def marker(key: str) -> str:
    return MARKER + key


def comment_of(key: str, description: str) -> str:
    return marker(key) + (f"\n{description}" if description else "")


def description_of(comment: Any) -> str:
    text = comment if isinstance(comment, str) else ""
    if text.startswith(MARKER):
        return text.partition("\n")[2]
    return text


def is_marked(node: Mapping[str, Any], key: str) -> bool:
    comment = node.get("comment")
    return isinstance(comment, str) and comment.partition("\n")[0] == marker(key)


def native(config: Mapping[str, Any]) -> tuple[str, str]:
    """``(node authType, connection type)`` of an integration config (validated to exist)."""
    found = aiapi.native_auth(str(config.get("auth_type") or "none"),
                              config.get("auth_header_name"))
    if found is None:
        raise errors.ConfigError(
            f"auth type {config.get('auth_type')} with header {config.get('auth_header_name')}"
            " has no native connection on api cognigy-ai", hint="run cogctl validate")
    return found


def connection_fields(config: Mapping[str, Any], secret: str) -> dict[str, str]:
    """The connection's fields holding ``secret`` for the config's auth."""
    kind = str(config.get("auth_type"))
    if kind == "basic":
        user, colon, password = secret.partition(":")
        if not colon:
            raise errors.ConfigError("basic auth needs the secret as user:password",
                                     hint="set the variable to user:password")
        return {"username": user, "password": password}
    return {"authApiKey": f"Bearer {secret}" if kind == "bearer" else secret}


def connection_reference(connection: Mapping[str, Any]) -> str:
    """What a node's ``*Connection`` field holds: the connection's referenceId (UNKNOWN on a
    live tenant whether it is that or the ``_id``; this is the one place to change)."""
    return str(connection.get("referenceId") or connection.get("_id") or "")


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    if isinstance(value, str):
        return rules.PLACEHOLDER.sub(
            lambda m: "{{" + (aiapi.node_placeholder(m.group(1)) or m.group(1)) + "}}", value)
    return value


def payload_of(config: Mapping[str, Any]) -> dict[str, Any]:
    request = dict(config.get("request_mapping") or {})
    body = request.get("body", request) if set(request) <= {"body"} else request
    return cast(dict[str, Any], _placeholders(body if isinstance(body, dict) else {}))


def node_config(name: str, config: Mapping[str, Any], reference: str) -> dict[str, Any]:
    """The managed config keys of the node for an integration config."""
    auth_type, _connection = native(config)
    written: dict[str, Any] = {
        "type": config.get("method") or "GET", "url": config.get("url") or "",
        "headers": dict(config.get("headers") or {}), "payloadType": "json",
        "payloadJSON": payload_of(config), "storeLocation": "context", "contextKey": name,
        "authType": auth_type, "timeout": int(config.get("timeout_seconds") or 30) * 1000,
        "async": False,
    }
    for field in CONNECTION_FIELDS:
        written[field] = reference if field == f"{auth_type}Connection" else ""
    return written


def node_fields(body: Mapping[str, Any], key: str, reference: str) -> dict[str, Any]:
    """``label``, ``comment``, ``isDisabled`` and the managed ``config`` keys cogctl writes."""
    return {"label": body["name"], "comment": comment_of(key, str(body.get("description") or "")),
            "isDisabled": body.get("status") == "INACTIVE",
            "config": node_config(str(body["name"]), body.get("config") or {}, reference)}


def managed_view(node: Mapping[str, Any]) -> dict[str, Any]:
    found = node.get("config")
    config: Mapping[str, Any] = found if isinstance(found, dict) else {}
    return {"label": node.get("label"), "comment": node.get("comment") or "",
            "isDisabled": bool(node.get("isDisabled")),
            "config": {k: config.get(k) for k in MANAGED_CONFIG}}


def node_hash(node: Mapping[str, Any]) -> str:
    return mapping.content_hash(managed_view(node))


def version_of(node: Mapping[str, Any], connection: Mapping[str, Any] | None) -> str:
    changed = connection.get("lastChanged") if connection else "-"
    return f"{node.get('_id')}:{node_hash(node).removeprefix('sha256:')[:16]}:{changed}"


def _headers(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {"": value}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _seconds(value: Any) -> int:
    """A node timeout (ms) in seconds; a fraction stays one, so it differs from any manifest."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value // 1000) if value % 1000 == 0 else cast(int, value / 1000)
    return 0


def record_of(node: Mapping[str, Any], connection: Mapping[str, Any] | None,
              body: Mapping[str, Any], secret_hash: str | None) -> dict[str, Any]:
    """What the state keeps of an integration cogctl wrote."""
    config = {k: v for k, v in (body.get("config") or {}).items() if k != "auth_secret"}
    return {
        "_id": node.get("_id"), "referenceId": node.get("referenceId"),
        "appliedHash": node_hash(node), "labels": dict(body.get("labels") or {}),
        "description": body.get("description") or "", "config": config,
        "connectionId": connection.get("_id") if connection else None,
        "connectionLastChanged": connection.get("lastChanged") if connection else None,
        "secretHash": secret_hash,
    }


def live_integration(node: Mapping[str, Any], record: Mapping[str, Any] | None,
                     connection: Mapping[str, Any] | None, *, name: str,
                     bot: str) -> lt.LiveIntegration:
    """A node (full read) and its connection as the core sees integration ``name``."""
    record = record if record and record.get("_id") == node.get("_id") else None
    view = managed_view(node)
    recorded = dict(record.get("config") or {}) if record else None
    labels = dict(record.get("labels") or {}) if record else {}
    if record is not None and record.get("appliedHash") == node_hash(node):
        config: dict[str, Any] = dict(recorded or {})
        description = str(record.get("description") or "")
    else:
        config, edited = _from_node(name, view["config"], recorded, connection)
        description = description_of(view["comment"])
        if view["label"] != name:
            edited.insert(0, "label")
        if edited:
            labels[EDITED_LABEL] = ",".join(edited)
    secret = _secret_hash(record, connection, config)
    return cast(lt.LiveIntegration, {
        "id": str(node.get("_id")), "bot_id": bot, "name": name, "description": description,
        "status": "INACTIVE" if view["isDisabled"] else "ACTIVE", "labels": labels,
        "config": config, "auth_secret_sha256": secret, "created_at": "", "updated_at": "",
        "version": version_of(node, connection)})


def _from_node(name: str, node: Mapping[str, Any], recorded: Mapping[str, Any] | None,
               connection: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The integration config a node holds, field by field; the managed keys without a
    manifest counterpart that differ from what cogctl writes."""
    reference = connection_reference(connection) if connection else ""
    wanted = node_config(name, recorded, reference) if recorded else None
    auth_type, header = _REVERSE_AUTH.get(str(node.get("authType")), ("none", None))
    config: dict[str, Any] = {
        "url": node.get("url"), "method": node.get("type"), "headers": _headers(node.get(
            "headers")), "timeout_seconds": _seconds(node.get("timeout")),
        "request_mapping": {"body": node.get("payloadJSON")} if node.get("payloadJSON")
        else {}, "auth_type": auth_type, "auth_header_name": header,
        "response_mapping": {"extract": None, "normalize": "none"}}
    if recorded is not None and wanted is not None:
        if node.get("payloadJSON") == wanted["payloadJSON"]:
            config["request_mapping"] = recorded.get("request_mapping") or {}
        auth_fields = ("authType", *CONNECTION_FIELDS)
        if all(node.get(k) == wanted[k] for k in auth_fields):
            config["auth_type"] = recorded.get("auth_type")
            config["auth_header_name"] = recorded.get("auth_header_name")
    default = wanted or {"payloadType": "json", "storeLocation": "context",
                         "contextKey": name, "async": False}
    edited = [k for k in _UNMAPPED if node.get(k) != default[k]]
    return config, edited


def _secret_hash(record: Mapping[str, Any] | None, connection: Mapping[str, Any] | None,
                 config: Mapping[str, Any]) -> str | None:
    """The recorded fingerprint while the connection is as cogctl wrote it, else None."""
    if record is None or connection is None or config.get("auth_type") in (None, "none"):
        return None
    if (connection.get("_id") != record.get("connectionId")
            or connection.get("lastChanged") != record.get("connectionLastChanged")):
        return None
    found = record.get("secretHash")
    return found if isinstance(found, str) else None


def secret_hash(node_id: str, secret: str) -> str:
    """The core's fingerprint of a secret (``normalizing.secret_sha256``), by node id."""
    return normalizing.secret_sha256(node_id, secret)

