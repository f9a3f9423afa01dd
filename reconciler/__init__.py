"""cognigy-reconciler: Terraform and Argo CD for NICE Cognigy bots.

The package is layered as a pure core (``models``, ``loading``, ``validating``,
``normalizing``, ``diffing``, ``planning``, ``plans``, ``rendering``) with effects at the
edge (``backend``, ``applying``, ``cli``). The emulator is a product module of its own.
import-linter contracts in ``pyproject.toml`` enforce the layers.
"""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (``httpx._main``: rich, pygments, click) whenever
# httpx is imported, unless that import fails, which httpx handles. cogctl never runs
# httpx's CLI; blocking the module keeps rich and pygments out of every command that talks
# HTTP but renders nothing with rich (``plan``, ``drift``, ...).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
