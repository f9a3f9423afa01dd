"""``cogctl``: the command line. Each subcommand is one small module of this package.

Commands are loaded lazily so that ``cogctl validate`` never pays for the emulator or the
HTTP client, and ``cogctl --help`` lists them from ``_SUMMARIES`` without importing any
(a test holds each summary to its command's own help). A click command parses options,
calls one library function, renders the result and returns an exit code; the library never
prints.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os

import click

from reconciler import __version__
from reconciler.cli import _common
from reconciler.pipeline import exitcodes

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


# name -> the first paragraph of the command's help: what ``cogctl --help`` lists.
_SUMMARIES: dict[str, str] = {
    "init": "Write a working project into DIR (default: here): cogctl.yaml, an example manifest "
            "per kind, an emulator fixture, the JSON Schemas, .pre-commit-config.yaml and the "
            "GitHub workflows (plan on pull requests, apply on merge, daily drift).",
    "test": "Run every slot's examples (default: manifests/) through its patterns, offline.",
    "show": "Render a saved plan (plan --out FILE) as it was shown when it was made.",
    "validate": "Check manifests (default: manifests/) against the schemas and every rule.",
    "plan": "Show what apply would change, without changing anything (read scope only).",
    "apply": "Execute the plan, retrain once per changed bot, and verify.",
    "drift": "Compare live state with the manifests for scheduled runs (read scope only).",
    "verify": "Check retraining status, extraction metrics of every slot, and simulation "
              "suites.",
    "export": "Write manifests (apiVersion cogctl/v1) from a bot's live integrations, slots "
              "and context defaults.",
    "simulate": "Run the SimulationSuite cases of the manifests and report pass rate and "
                "coverage.",
    "session": "Inspect bot sessions.",
    "context": "Write to and render from a conversation's context.",
    "integration": "Work with the integrations of the manifests.",
    "audit": "Inspect the audit log (JSON lines, hash-chained; default .cogctl/audit.jsonl).",
    "emulator": "Run the embedded Cognigy emulator.",
    "github": "Sticky plan comments, drift issues and reviewed-plan checks for GitHub Actions.",
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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, from ``_SUMMARIES``: no command module is imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        # A bare command with the same help shortens it exactly as the real one would.
        rows = [(name, click.Command(name, help=_SUMMARIES[name]).get_short_help_str(limit))
                for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=exitcodes.HELP)
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
