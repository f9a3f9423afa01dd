"""Integrations on Cognigy.AI: HTTP Request nodes and their Connections, read and written.

The mapping is ``integrations``'. Policy:

- The nodes live in the bot's integrations flow (``integrationsFlow``, by ``_id``,
  ``referenceId`` or name); the default ``cogctl-integrations`` is created on the first
  write, another one must exist. A node is appended after the flow's start node.
- Reads: one node list of the flow and one connection list of the project per bot, then a
  full read of every HTTP Request node (chart nodes have no ``lastChanged``: each one is
  hashed). Nodes marked for another bot are not this bot's; nodes cogctl did not record are
  shown without the ``managed-by`` label (never pruned).
- Writes re-read the node and its connection and compare the version first (a conflict is
  reported, never written over). The node is PATCHed with its whole config (the API replaces
  top-level fields), cogctl's keys over whatever else it holds, and only when they differ.
  The connection is PATCHed (``fields`` only: the API allows nothing else) only when the
  secret's fingerprint differs from the recorded one or the connection moved since; a change
  of connection type replaces it.
- Creates follow the adopt-after-lost-POST rule: a node carrying this address's marker, a
  connection of the same referenceId or name, is adopted, never created twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from reconciler import errors
from reconciler.backend.cognigy_ai import http, integrations, mapping
from reconciler.backend.cognigy_ai.sites import Site
from reconciler.core import livetypes as lt
from reconciler.manifests import projects


def _seg(value: str) -> str:
    return quote(value, safe="")


class Integrations:
    """Integration methods of the ``Backend`` protocol for ``CognigyAiBackend``."""

    def __init__(self, requester: http.Requester) -> None:
        self.http = requester
        self._flows: dict[tuple[str, str], str] = {}  # (project, wanted) -> flow _id
        self._starts: dict[str, str] = {}  # flow _id -> start node _id
        self._creating = asyncio.Lock()
        self.bot_of: dict[str, str] = {}  # node _id -> logical bot

    # --- the flow ---------------------------------------------------------------------------

    def _known_flow(self, site: Site) -> str | None:
        wanted = site.integrations_flow
        found = self._flows.get((site.project_id, wanted))
        if found is not None:
            return found
        for key in ("_id", "referenceId", "name"):
            for flow in site.flows:
                if flow.get(key) == wanted:
                    self._flows[(site.project_id, wanted)] = str(flow["_id"])
                    return str(flow["_id"])
        return None

    async def _flow(self, site: Site) -> str:
        """The integrations flow's ``_id``, creating the default one on first use."""
        found = self._known_flow(site)
        if found is not None:
            return found
        if site.integrations_flow != projects.DEFAULT_INTEGRATIONS_FLOW:
            raise errors.ConfigError(
                f"no flow {site.integrations_flow!r} for the integrations of bot "
                f"{site.logical!r} in its project",
                hint="create it, or drop integrationsFlow to let cogctl create "
                f"{projects.DEFAULT_INTEGRATIONS_FLOW}")
        async with self._creating:
            found = self._known_flow(site)
            if found is not None:
                return found
            name = site.integrations_flow
            body = {"projectId": site.project_id, "name": name,
                    "description": "HTTP Request nodes of cogctl's Integrations"}

            async def _find() -> dict[str, Any] | None:
                flows = await self.http.collect("/flows", {"projectId": site.project_id,
                                                           "filter": name})
                return next((f for f in flows if f.get("name") == name), None)

            flow = await site.create("/flows", body, _find)
            site.flows.append(flow)
            self._flows[(site.project_id, name)] = str(flow["_id"])
            return str(flow["_id"])

    async def _start(self, flow_id: str) -> str:
        if flow_id not in self._starts:
            nodes = await self.http.collect(f"/flows/{flow_id}/chart/nodes")
            start = next((n for n in nodes if n.get("type") == "start"), None)
            if start is None:
                raise errors.BackendError(f"flow {flow_id} has no start node")
            self._starts[flow_id] = str(start["_id"])
        return self._starts[flow_id]

    def _nodes_path(self, flow_id: str) -> str:
        return f"/flows/{flow_id}/chart/nodes"

    # --- reads ------------------------------------------------------------------------------

    def _recorded(self, site: Site) -> dict[str, str]:
        """Node ``_id`` -> integration name, of this bot's integrations in the state."""
        prefix = integrations.address(site.logical, "")
        return {str(r.get("_id")): key.removeprefix(prefix)
                for key, r in site.records.items()
                if key.startswith(prefix) and isinstance(r, dict)}

    def _name(self, site: Site, node: Mapping[str, Any]) -> str | None:
        """The integration a node is of this bot, or None: recorded, else carrying this
        bot's marker, else (no marker at all) by its label, as an unmanaged one."""
        recorded = self._recorded(site).get(str(node.get("_id")))
        if recorded is not None:
            return recorded
        comment = node.get("comment")
        first = comment.partition("\n")[0] if isinstance(comment, str) else ""
        if not first.startswith(integrations.MARKER):
            return str(node.get("label"))
        prefix = integrations.marker(integrations.address(site.logical, ""))
        return first.removeprefix(prefix) if first.startswith(prefix) else None

    def _record(self, site: Site, name: str, node_id: str) -> dict[str, Any] | None:
        found = site.records.get(integrations.address(site.logical, name))
        return found if isinstance(found, dict) and found.get("_id") == node_id else None

    async def list(self, site: Site) -> list[lt.LiveIntegration]:
        flow_id = self._known_flow(site)
        if flow_id is None:
            return []
        nodes, connections = await asyncio.gather(
            self.http.collect(self._nodes_path(flow_id)),
            self.http.collect("/connections", {"projectId": site.project_id}))
        by_id = {str(c.get("_id")): c for c in connections}
        wanted = [n for n in nodes if n.get("type") == integrations.NODE_TYPE
                  and self._name(site, n) is not None]
        full = await asyncio.gather(*(self.http.get(
            f"{self._nodes_path(flow_id)}/{_seg(str(n['_id']))}") for n in wanted))
        return [self._live(site, node, by_id) for node in full]

    def _live(self, site: Site, node: Mapping[str, Any],
              connections: Mapping[str, Mapping[str, Any]]) -> lt.LiveIntegration:
        node_id = str(node.get("_id"))
        self.bot_of[node_id] = site.logical
        name = self._name(site, node) or str(node.get("label"))
        record = self._record(site, name, node_id)
        connection = connections.get(str(record.get("connectionId"))) if record else None
        return integrations.live_integration(node, record, connection, name=name,
                                             bot=site.logical)

    async def _read(self, site: Site, node_id: str) -> tuple[
            str, dict[str, Any], dict[str, Any] | None]:
        """The flow, the full node and its recorded connection (None when there is none)."""
        flow_id = self._known_flow(site)
        if flow_id is None:
            raise errors.NotFoundError(f"no integrations flow {site.integrations_flow!r}",
                                       method="GET", path=node_id, status=404)
        node = await self.http.get(f"{self._nodes_path(flow_id)}/{_seg(node_id)}")
        record = self._record(site, self._name(site, node) or "", node_id)
        connection = None
        if record is not None and record.get("connectionId"):
            with contextlib.suppress(errors.NotFoundError):
                connection = await self.http.get(
                    f"/connections/{_seg(str(record['connectionId']))}")
        return flow_id, node, connection

    async def get(self, site: Site, node_id: str) -> lt.LiveIntegration:
        _flow, node, connection = await self._read(site, node_id)
        by_id = {str(connection["_id"]): connection} if connection else {}
        return self._live(site, node, by_id)

    # --- writes -----------------------------------------------------------------------------

    async def create(self, site: Site, body: lt.IntegrationWrite) -> lt.LiveIntegration:
        key = integrations.address(site.logical, body["name"])
        flow_id = await self._flow(site)
        path = self._nodes_path(flow_id)

        async def _find() -> dict[str, Any] | None:
            nodes = await self.http.collect(path)
            return next((n for n in nodes if n.get("type") == integrations.NODE_TYPE
                         and n.get("label") == body["name"]
                         and integrations.is_marked(n, key)), None)

        existing = await _find()  # an earlier run created it and lost the answer or the state
        if existing is not None:
            return await self.update(site, str(existing["_id"]), body, if_match=None)
        connection = await self._connection(site, body, None, None)
        fields = integrations.node_fields(body, key, _reference(connection))
        create = {"type": integrations.NODE_TYPE, "extension": integrations.EXTENSION,
                  **fields, "mode": "append", "target": await self._start(flow_id)}
        made = await site.create(path, create, _find)
        node = await self.http.get(f"{path}/{_seg(str(made['_id']))}")
        node = await self._patch_node(site, path, node, fields)  # when it adopted a stale one
        return await self._remember(site, node, connection, body)

    async def update(self, site: Site, node_id: str, body: lt.IntegrationWrite, *,
                     if_match: str | None) -> lt.LiveIntegration:
        key = integrations.address(site.logical, body["name"])
        flow_id, node, connection = await self._read(site, node_id)
        path = self._nodes_path(flow_id)
        if if_match is not None and integrations.version_of(node, connection) != if_match:
            raise errors.VersionConflictError(
                f"PATCH {path}/{node_id}: the HTTP Request node {body['name']!r} or its "
                "connection changed since the plan read it", method="PATCH", path=path,
                status=409, current_version=integrations.version_of(node, connection),
                hint="run plan again (or apply --force to write over it)")
        record = self._record(site, body["name"], node_id)
        new = await self._connection(site, body, connection, record)
        node = await self._patch_node(site, path, node, integrations.node_fields(
            body, key, _reference(new)))
        if connection is not None and (new is None or new.get("_id") != connection.get("_id")):
            with contextlib.suppress(errors.NotFoundError):
                await self.http.request("DELETE", f"/connections/{_seg(str(connection['_id']))}")
        return await self._remember(site, node, new, body)

    async def _patch_node(self, site: Site, path: str, node: dict[str, Any],
                          fields: dict[str, Any]) -> dict[str, Any]:
        config = dict(node.get("config") or {})
        wanted = {**node, **fields, "config": {**config, **fields["config"]}}
        if integrations.managed_view(node) == integrations.managed_view(wanted):
            return node
        patch = {"label": fields["label"], "comment": fields["comment"],
                 "isDisabled": fields["isDisabled"], "config": wanted["config"],
                 "localeId": site.locale_id}
        node_path = f"{path}/{_seg(str(node['_id']))}"
        await self.http.request("PATCH", node_path, json=patch)
        return await self.http.get(node_path)

    async def _remember(self, site: Site, node: dict[str, Any],
                        connection: dict[str, Any] | None,
                        body: lt.IntegrationWrite) -> lt.LiveIntegration:
        secret = (body.get("config") or {}).get("auth_secret")
        key = integrations.address(site.logical, body["name"])
        old = site.records.get(key) if isinstance(site.records.get(key), dict) else None
        if connection is None:
            secret_hash = None
        elif isinstance(secret, str):
            secret_hash = integrations.secret_hash(str(node["_id"]), secret)
        else:  # no secret given: the connection keeps what it holds
            secret_hash = (old or {}).get("secretHash")
        record = integrations.record_of(node, connection, body, secret_hash)
        await site.record(key, record)
        by_id = {str(connection["_id"]): connection} if connection else {}
        return self._live(site, node, by_id)

    async def _connection(self, site: Site, body: lt.IntegrationWrite,
                          current: dict[str, Any] | None,
                          record: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The connection the node should name after this write (created or PATCHed as
        needed; None for auth none). ``current`` is the recorded one, if it still exists."""
        config = body.get("config") or {}
        _auth, kind = integrations.native(config)
        if not kind:
            return None
        secret = config.get("auth_secret")
        if current is not None and current.get("type") == kind:
            if not isinstance(secret, str):
                return current
            fingerprint = integrations.secret_hash(str((record or {}).get("_id")), secret)
            if (record is not None and record.get("secretHash") == fingerprint
                    and current.get("lastChanged") == record.get("connectionLastChanged")):
                return current
            path = f"/connections/{_seg(str(current['_id']))}"
            fields = integrations.connection_fields(config, secret)
            await self.http.request("PATCH", path, json={"fields": fields})
            return await self.http.get(path)
        if not isinstance(secret, str):
            raise errors.ConfigError(f"integration {body['name']!r} needs its secret to "
                                     "create its connection", hint="set the secret variable")
        if current is not None:  # another type: the name is taken until it is gone
            with contextlib.suppress(errors.NotFoundError):
                await self.http.request("DELETE", f"/connections/{_seg(str(current['_id']))}")
        return await self._create_connection(site, body, kind, secret)

    async def _create_connection(self, site: Site, body: lt.IntegrationWrite, kind: str,
                                 secret: str) -> dict[str, Any]:
        key = integrations.address(site.logical, body["name"])
        name = integrations.connection_name(site.logical, body["name"])
        fields = integrations.connection_fields(body.get("config") or {}, secret)
        create = {"projectId": site.project_id, "name": name, "type": kind,
                  "extension": integrations.EXTENSION, "fields": fields,
                  "referenceId": mapping.reference_id(f"{key}#connection")}

        async def _find() -> dict[str, Any] | None:
            items = await self.http.collect("/connections", {"projectId": site.project_id,
                                                             "filter": name})
            return next((c for c in items if c.get("referenceId") == create["referenceId"]
                         or c.get("name") == name), None)

        try:
            made = await site.create("/connections", create, _find)
        except errors.ConflictError:
            made = await _find() or {}  # left by a run that lost its state: take it over
            if not made:
                raise
            if made.get("type") != kind:
                raise errors.NameConflictError(
                    f"a connection {name!r} of type {made.get('type')} exists already",
                    method="POST", path="/connections", status=409,
                    hint="delete it, it is not one cogctl wrote for this auth") from None
            path = f"/connections/{_seg(str(made['_id']))}"
            await self.http.request("PATCH", path, json={"fields": fields})
        return await self.http.get(f"/connections/{_seg(str(made['_id']))}")

    async def delete(self, site: Site, node_id: str, *, if_match: str | None) -> None:
        flow_id, node, connection = await self._read(site, node_id)
        path = f"{self._nodes_path(flow_id)}/{_seg(node_id)}"
        if if_match is not None and integrations.version_of(node, connection) != if_match:
            raise errors.VersionConflictError(
                f"DELETE {path}: the HTTP Request node changed since the plan read it",
                method="DELETE", path=path, status=409,
                current_version=integrations.version_of(node, connection),
                hint="run plan again")
        with contextlib.suppress(errors.NotFoundError):
            await self.http.request("DELETE", path)
        if connection is not None:
            with contextlib.suppress(errors.NotFoundError):
                await self.http.request("DELETE", f"/connections/{_seg(str(connection['_id']))}")
        name = self._name(site, node)
        if name is not None:
            await site.record(integrations.address(site.logical, name), None)


def _reference(connection: Mapping[str, Any] | None) -> str:
    return integrations.connection_reference(connection) if connection else ""
