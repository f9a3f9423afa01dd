"""``cogctl``: the command line. Each subcommand is one small module of this package.

Commands are loaded lazily so that ``cogctl validate`` never pays for the emulator or the
HTTP client. A click command parses options, calls one library function, renders the result
and returns an exit code; the library never prints.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os

import click

from reconciler import __version__
from reconciler.cli import _common

# name -> (module under reconciler.cli, attribute). Order is the order of ``--help``.
_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "init"),
    "validate": ("validate", "validate"),
    "test": ("test", "test"),
    "plan": ("plan", "plan"),
    "apply": ("apply", "apply"),
    "show": ("show", "show"),
    "drift": ("drift", "drift"),
    "verify": ("verify", "verify"),
    "export": ("export", "export"),
    "simulate": ("simulate", "simulate"),
    "session": ("session", "session"),
    "context": ("context", "context"),
    "integration": ("integration", "integration"),
    "audit": ("audit", "audit"),
    "emulator": ("emulator", "emulator"),
    "github": ("github", "github"),
}


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(f"reconciler.cli.{module}") is not None


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _) in _COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None or not _module_exists(target[0]):
            return None
        module = importlib.import_module(f"reconciler.cli.{target[0]}")
        command = getattr(module, target[1])
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=_common.EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="cogctl")
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda _ctx, _param, on: _debug(on),
              help="Log every HTTP exchange (method, URL, status, time, attempt; secrets "
                   "redacted) and more on stderr. Same as COGCTL_LOG_LEVEL=DEBUG.")
@click.option("--no-color", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda _ctx, _param, on: _no_color(on),
              help="No ANSI colour (also NO_COLOR=1; FORCE_COLOR=1 forces colour).")
def cli() -> None:
    """Manage NICE Cognigy bots from git: validate, plan, apply, verify.

    Manifests (YAML, apiVersion cogctl/v1) describe integrations, slots, context defaults
    and simulation suites. With no COGNIGY_TENANT_URL, commands run against the embedded
    emulator.
    """


def _configure_logging() -> None:
    """Retries and webhook failures are logged as plain lines on stderr, one per event.

    ``COGCTL_LOG_LEVEL`` (e.g. ``DEBUG``, ``INFO``) shows more; the default shows warnings.
    """
    level_name = os.environ.get("COGCTL_LOG_LEVEL", "WARNING").upper()
    level = logging.getLevelName(level_name)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("reconciler")
    root.handlers[:] = [handler]
    root.setLevel(level if isinstance(level, int) else logging.WARNING)
    root.propagate = False


def _debug(on: bool) -> None:
    if on:
        logging.getLogger("reconciler").setLevel(logging.DEBUG)


def _no_color(on: bool) -> None:
    if on:  # the environment, so that every renderer (and rich) sees it the same way
        os.environ["NO_COLOR"] = "1"
        os.environ.pop("FORCE_COLOR", None)


def main() -> None:
    """Console-script entry point: runs the group and maps every outcome to an exit code."""
    _configure_logging()
    _common.run(cli)
