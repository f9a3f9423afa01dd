"""cognigy-reconciler: Terraform and Argo CD for NICE Cognigy bots.

The package is layered as a pure core (``models``, ``loading``, ``validating``,
``normalizing``, ``diffing``, ``planning``, ``plans``, ``rendering``) with effects at the
edge (``backend``, ``applying``, ``cli``). The emulator is a product module of its own.
import-linter contracts in ``pyproject.toml`` enforce the layers.
"""

__version__ = "0.1.0"
