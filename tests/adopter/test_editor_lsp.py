"""Editor validation as an editor gets it: yaml-language-server, driven over its LSP stdio
protocol (Content-Length framed JSON-RPC), checks the second document of a manifest file.

The server checks a document against the schema its own ``# yaml-language-server: $schema=``
comment names, or against the ``yaml.schemas`` setting. Both ways are driven here on a
two-document file whose second document has an error: the diagnostic must land on that
document's line, and the first document must get none.

``yaml-language-server`` is installed with npm into a cache directory (``$XDG_CACHE_HOME``
or ``~/.cache``, under ``cogctl-tests/yaml-language-server``), never into the repository.
Without node, npm or the package the tests fail when ``CI`` is set and skip (saying why)
otherwise.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nodetools
import pytest

from reconciler.ops import scaffolding

VERSION = "1.19.2"
DEADLINE = 60.0  # seconds for the server to publish the diagnostics wanted

TWO_DOCUMENTS = """\
# yaml-language-server: $schema=../../schemas/manifest.schema.json
apiVersion: cogctl/v1
kind: Slot
metadata:
  name: order_number
  bot: example
spec:
  type: regex
  patterns:
    - '\\bORD-\\d{6}\\b'
  fillStrategy: firstMatch
---
# yaml-language-server: $schema=../../schemas/manifest.schema.json
apiVersion: cogctl/v1
kind: Slot
metadata:
  name: email
  bot: example
spec:
  type: regex
  patterns:
    - '\\b\\S+@\\S+\\b'
  fillStrategy: fuzzzy
"""
BAD_LINE = TWO_DOCUMENTS.splitlines().index("  fillStrategy: fuzzzy")  # 0-based, as LSP counts
SECOND_STARTS = TWO_DOCUMENTS.splitlines().index("---")


def _server() -> Path:
    package = nodetools.installed("yaml-language-server", VERSION, cache="yaml-language-server",
                                  what="the editor validation test")
    return package / "bin" / "yaml-language-server"


class LanguageServer:
    """A client of one server process: framed requests out, a reader thread for what comes
    back (responses by id, notifications into a queue, server requests answered)."""

    def __init__(self, entry: Path, cwd: Path) -> None:
        node = shutil.which("node")
        assert node is not None
        self.process = subprocess.Popen(
            [node, str(entry), "--stdio"], cwd=cwd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.settings: dict[str, Any] = {}
        self._next_id = 0
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        with self._write_lock:
            self.process.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                # workspace/configuration, client/registerCapability, ...: answer them all
                reply: Any = None
                if message["method"] == "workspace/configuration":
                    reply = [self.settings.get(item.get("section", ""), None)
                             for item in message["params"]["items"]]
                self._send({"id": message["id"], "result": reply})
            self.messages.put(message)

    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        wanted = self._next_id
        self._send({"id": wanted, "method": method, "params": params})
        message = self.wait(lambda m: m.get("id") == wanted and "method" not in m)
        assert "error" not in message, message
        return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def wait(self, wanted: Any, deadline: float = DEADLINE) -> dict[str, Any]:
        until = time.monotonic() + deadline
        while True:
            left = until - time.monotonic()
            if left <= 0:
                raise AssertionError(f"yaml-language-server sent nothing wanted in {deadline}s")
            try:
                message = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            if wanted(message):
                return message

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except (AssertionError, OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)
        finally:
            self._reader.join(timeout=10)
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editor")
    scaffolding.write(root, scaffolding.build())
    return root


@pytest.fixture
def server(project: Path) -> Iterator[LanguageServer]:
    client = LanguageServer(_server(), project)
    yield client
    client.close()


def _start(server: LanguageServer, project: Path, schemas: dict[str, list[str]]) -> None:
    settings = {"yaml": {"validate": True, "schemas": schemas, "schemaStore": {"enable": False},
                         "format": {"enable": False}, "hover": False, "completion": False}}
    server.settings = settings
    server.request("initialize", {
        "processId": os.getpid(), "rootUri": project.as_uri(),
        "workspaceFolders": [{"uri": project.as_uri(), "name": "project"}],
        "capabilities": {"textDocument": {"publishDiagnostics": {}},
                         "workspace": {"configuration": True,
                                       "didChangeConfiguration": {"dynamicRegistration": False}}},
    })
    server.notify("initialized", {})
    server.notify("workspace/didChangeConfiguration", {"settings": settings})


def _diagnostics(server: LanguageServer, path: Path, text: str) -> list[dict[str, Any]]:
    """Open ``path`` with ``text``; the first non-empty diagnostics published for it."""
    uri = path.as_uri()
    server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "yaml", "version": 1, "text": text}})
    message = server.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"]["diagnostics"])
    diagnostics: list[dict[str, Any]] = message["params"]["diagnostics"]
    return diagnostics


def _assert_on_the_second_document(diagnostics: list[dict[str, Any]]) -> None:
    lines = {d["range"]["start"]["line"] for d in diagnostics}
    assert BAD_LINE in lines, diagnostics
    assert all(line > SECOND_STARTS for line in lines), diagnostics  # none in document 1
    (bad,) = [d for d in diagnostics if d["range"]["start"]["line"] == BAD_LINE]
    assert "firstMatch" in bad["message"], bad  # the Slot's enum: the right kind is blamed


@pytest.mark.slow
def test_the_modeline_of_each_document_checks_the_second_document(
    project: Path, server: LanguageServer
) -> None:
    _start(server, project, schemas={})
    path = project / "manifests" / "example" / "two.yaml"
    path.write_text(TWO_DOCUMENTS)
    _assert_on_the_second_document(_diagnostics(server, path, TWO_DOCUMENTS))


@pytest.mark.slow
def test_the_yaml_schemas_setting_checks_the_second_document(
    project: Path, server: LanguageServer
) -> None:
    schema = (project / "schemas" / "manifest.schema.json").as_uri()
    _start(server, project, schemas={schema: ["manifests/**/*.yaml"]})
    text = "\n".join(line for line in TWO_DOCUMENTS.splitlines()
                     if not line.startswith("# yaml-language-server")) + "\n"
    path = project / "manifests" / "example" / "plain.yaml"
    path.write_text(text)
    diagnostics = _diagnostics(server, path, text)
    lines = {d["range"]["start"]["line"] for d in diagnostics}
    bad = text.splitlines().index("  fillStrategy: fuzzzy")
    assert bad in lines, diagnostics
    assert all(line > text.splitlines().index("---") for line in lines), diagnostics
