"""Fixtures the Cognigy.AI backend's test modules share, from the modules that define them:
the in-process tenant (``world``) and the served tenant with the CLI that runs against it
(``tenant``, ``cli``)."""

from e2e.test_cognigy_ai import cli, tenant

from .test_adapter import world

__all__ = ["cli", "tenant", "world"]
