"""``cogctl emulator serve`` as a library call: which tenant to serve, bound to its socket.

``prepare`` picks the state (``--state FILE`` when it exists, else the fixture, seeding the
state file from it), binds the address, and answers a ``Served`` that the command runs and,
when it stops, saves. Errors are ``ConfigError`` with what to do; nothing here prints.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reconciler import errors
from reconciler.backend import embedded
from reconciler.emulator.platform import serving


class _State(Protocol):
    def save(self, path: Path) -> None: ...


@dataclass(frozen=True)
class Served:
    app: Any
    state: _State
    sock: socket.socket
    origin: str  # "state FILE" or "fixture FILE"
    state_file: Path | None

    @property
    def url(self) -> str:
        return serving.url_of(self.sock)

    def save(self) -> None:
        """Write the state file (when there is one) after the server stopped."""
        if self.state_file is not None:
            self.state.save(self.state_file)


def _tenant(api: str, fixture: Path | None, state_file: Path | None) -> tuple[Any, Any, str]:
    if api == "cognigy-ai":
        from reconciler.emulator import cognigy_ai as chosen
    else:
        from reconciler.emulator import platform as chosen  # type: ignore[no-redef]
    state, loaded = embedded.load_or_seed(
        chosen.TenantState, fixture, state_file,
        missing=errors.ConfigError("no tenant to serve",
                                   hint="give --fixture FILE or --state FILE"))
    if loaded:
        return chosen, state, f"state {state_file}"
    if state_file is not None:
        state.save(state_file)
    return chosen, state, f"fixture {fixture}"


def prepare(*, api: str, host: str, port: int, fixture: Path | None,
            state_file: Path | None) -> Served:
    """The tenant to serve, its app, and the socket it listens on (bound, not yet serving)."""
    chosen, state, origin = _tenant(api, fixture, state_file)
    try:
        sock = serving.bind(host, port)
    except OSError as exc:
        raise errors.ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return Served(chosen.create_app(state, state_path=state_file), state, sock, origin,
                  state_file)
