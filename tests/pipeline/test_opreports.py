"""``cogctl session vars`` text: the head line counts variables in proper English."""

from __future__ import annotations

import pytest

from reconciler.ops import sessions
from reconciler.pipeline import opreports


def _variable(name: str) -> sessions.Variable:
    return sessions.Variable(name=name, value="x", raw="x", scope="session", system=False,
                             shadowed=())


@pytest.mark.parametrize(
    ("count", "head"),
    [
        (0, "session s1: 0 variables (fetched in 12 ms)"),
        (1, "session s1: 1 variable (fetched in 12 ms)"),
        (2, "session s1: 2 variables (fetched in 12 ms)"),
    ],
)
def test_the_head_line_pluralises(count: int, head: str) -> None:
    snapshot = sessions.Snapshot(
        "s1", tuple(_variable(f"v{i}") for i in range(count)), seconds=0.012
    )
    assert opreports.session_text(snapshot).splitlines()[0] == head
