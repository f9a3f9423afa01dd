"""A local HTTPS service for probe tests: self-signed certificate, uvicorn in a thread.

The certificate (made with ``openssl``) names ``localhost`` and ``127.0.0.1``; the service
binds to 127.0.0.1 only and records every request it gets.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route


def make_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,digitalSignature,keyCertSign"],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class Service:
    url: str
    cert: Path
    seen: list[dict[str, Any]] = field(default_factory=list)
    flaky_left: int = 0


def make_app(service: Service) -> Starlette:
    async def record(request: Request) -> dict[str, Any]:
        body = await request.body()
        entry = {
            "method": request.method, "path": request.url.path,
            "query": dict(request.query_params), "headers": dict(request.headers),
            "body": json.loads(body) if body else None,
        }
        service.seen.append(entry)
        return entry

    async def customers(request: Request) -> Response:
        entry = await record(request)
        return JSONResponse({"data": [{"name": "Ann Lee", "tier": "gold", "open_tickets": 2,
                                       "echo": entry["query"]}]})

    async def search(request: Request) -> Response:
        entry = await record(request)
        return JSONResponse({"name": "Ann Lee", "tier": "gold", "openTickets": 2,
                             "echo": entry["body"]})

    async def quotes(request: Request) -> Response:
        entry = await record(request)
        return JSONResponse({"quotes": [{"carrierName": "dhl", "price": 4.5,
                                         "echoBody": entry["body"]}]}, status_code=201)

    async def flaky(request: Request) -> Response:
        await record(request)
        if service.flaky_left > 0:
            service.flaky_left -= 1
            return JSONResponse({"error": "busy"}, status_code=503, headers={"Retry-After": "0"})
        return JSONResponse({"ok": True})

    async def moved(request: Request) -> Response:
        await record(request)
        return RedirectResponse("https://169.254.169.254/latest/meta-data/", status_code=302)

    async def text(request: Request) -> Response:
        await record(request)
        return PlainTextResponse("not json")

    return Starlette(routes=[
        Route("/v1/customers", customers, methods=["GET"]),
        Route("/v1/customers/search", search, methods=["POST"]),
        Route("/v1/quotes", quotes, methods=["POST"]),
        Route("/flaky", flaky, methods=["GET", "POST"]),
        Route("/moved", moved, methods=["GET"]),
        Route("/text", text, methods=["GET"]),
    ])


class Running:
    def __init__(self, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start(directory: Path) -> tuple[Service, Running]:
    cert, key = make_certificate(directory)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    service = Service(url=f"https://localhost:{port}", cert=cert)
    config = uvicorn.Config(make_app(service), ssl_certfile=str(cert), ssl_keyfile=str(key),
                            log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # poll with a deadline, never a fixed sleep
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the TLS test service did not start")
        time.sleep(0.01)
    return service, Running(server, thread)


@contextlib.contextmanager
def serving(directory: Path) -> Iterator[Service]:
    """``start``, then stop again however the block ends."""
    service, running = start(directory)
    try:
        yield service
    finally:
        running.stop()
