"""Serving the app over real HTTP with uvicorn, in a background thread (tests, benchmarks,
embedded use) or in the foreground (``cogctl emulator serve``)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from reconciler.emulator.platform import faults

STARTUP_SECONDS = 10.0


class _DropInjectedResets(logging.Filter):
    """A ``reset`` fault is intended: keep its traceback out of the server log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, faults.ConnectionDropped)


def quiet_injected_resets() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropInjectedResets) for f in logger.filters):
        logger.addFilter(_DropInjectedResets())


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (``port`` 0 picks a free one); the caller owns it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) on accepted
    # sockets whose proto says TCP; without it every answer waits out a delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: ASGIApp, *, log_level: str = "warning") -> uvicorn.Server:
    quiet_injected_resets()
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", access_log=False)
    return uvicorn.Server(config)


class ServerHandle:
    """A running server; ``stop()`` (or leaving the ``with`` block) shuts it down and joins."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self.url = url
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_SECONDS)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """A real uvicorn server on ``host:port`` in a daemon thread; returns once it accepts
    connections (polled with a deadline)."""
    sock = bind(host, port)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="cogctl-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.005)
    return ServerHandle(server, thread, url_of(sock))
