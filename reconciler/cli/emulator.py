"""``cogctl emulator serve``: the emulator as a real HTTP server (uvicorn), in the foreground.

The first line printed says where it listens. SIGINT and SIGTERM shut it down cleanly
(uvicorn finishes the requests in flight). With ``--state FILE`` the state is loaded from
FILE when it exists (else seeded from the fixture) and saved atomically after every write.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import click


@click.group()
def emulator() -> None:
    """Run the embedded Cognigy emulator."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind (0 picks a free one).")
@click.option("--fixture", "fixture", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML fixture describing the tenant.")
@click.option("--state", "state_file", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON state file: loaded on start if present, saved after every write.")
@click.option("--api", type=click.Choice(["platform", "cognigy-ai"]), default="platform",
              show_default=True,
              help="Which API to serve: the Platform API or Cognigy.AI's v2.0 REST API.")
def serve(host: str, port: int, fixture: Path | None, state_file: Path | None,
          api: str) -> None:
    """Serve the Platform API (or, with --api cognigy-ai, Cognigy.AI's v2.0 REST API) on
    HOST:PORT until interrupted (SIGINT/SIGTERM)."""
    from reconciler.emulator.platform import serving
    from reconciler.pipeline import emulating

    served = emulating.prepare(api=api, host=host, port=port, fixture=fixture,
                               state_file=state_file)
    server = serving.make_server(served.app)
    click.echo(f"cogctl emulator listening on {served.url} ({served.origin})")
    sys.stdout.flush()
    click.echo("admin endpoints under /_emulator/ (loopback only); Ctrl-C stops", err=True)
    with _signals_end_quietly():
        try:
            server.run(sockets=[served.sock])
        finally:
            served.sock.close()
    served.save()
    click.echo("emulator stopped", err=True)


@contextlib.contextmanager
def _signals_end_quietly() -> Iterator[None]:
    """uvicorn stops on SIGINT/SIGTERM and then re-raises the signal to the previous handler;
    this handler swallows it, so a stopped server exits 0 instead of dying by the signal."""
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
