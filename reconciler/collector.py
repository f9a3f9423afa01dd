"""The cyclic garbage collector paused around bulk work that frees nothing in cycles.

Loading thousands of manifests and planning thousands of objects allocate many small
containers and free none of them in reference cycles; the cyclic collector would still walk
the growing heap again and again (a fifth of a large load, a third of a large no-op plan).
Reference counting frees everything as usual while it is paused.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; re-enable it only if it was enabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
