"""Outlines: which raw parts of a failed document the rules across documents may use."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.manifests import crossdoc, parsing

SLOT = """apiVersion: cogctl/v1
kind: Slot
metadata: {name: a, bot: support}
spec: {patterns: ['(x+)+$'], dependencies: [b, c, a]}
"""
SUITE = """apiVersion: cogctl/v1
kind: SimulationSuite
metadata: {name: smoke, bot: support}
spec:
  cases:
    - {id: test_x, userId: ann, utterance: hi}
    - {id: test_y, userId: usr_b, utterance: hi}
    - {id: test_x, userId: usr_c, utterance: hi}
    - {id: test_x, userId: usr_d, utterance: hi}
    - {id: test_y, userId: usr_e, utterance: hi}
"""
DEPS = ("spec", "dependencies")


def _outline(text: str, problems: set[parsing.FieldPath]) -> tuple[
        crossdoc.Outline, list[tuple[parsing.FieldPath, str]]]:
    [doc], stopped = parsing.parse_text(text)
    assert not stopped
    assert isinstance(doc.data, dict)
    return crossdoc.outline_document(doc.data, problems, file="m.yaml", doc=doc,
                                     address=crossdoc.raw_address(doc.data))


@pytest.mark.parametrize(
    ("problems", "identity", "dependencies", "found"),
    [
        # the pattern's own problem touches nothing the rules across documents read
        ({("spec", "patterns", 0)}, ("Slot", "support", "a"), ((0, "b"), (1, "c"), (2, "a")),
         [((*DEPS, 2), "spec.dependencies[2]: slot 'a' cannot depend on itself")]),
        # the model's own rule ran and said it: not said twice
        ({(*DEPS, 2)}, ("Slot", "support", "a"), ((0, "b"), (1, "c")), []),
        # an invalid dependency is not looked up
        ({(*DEPS, 1)}, ("Slot", "support", "a"), ((0, "b"), (2, "a")),
         [((*DEPS, 2), "spec.dependencies[2]: slot 'a' cannot depend on itself")]),
        # an invalid name: no address, and no self-dependency can be judged
        ({("metadata", "name")}, None, ((0, "b"), (1, "c"), (2, "a")), []),
        # a problem at a field above a part makes the part unusable too
        ({("metadata",)}, None, ((0, "b"), (1, "c"), (2, "a")), []),
        ({("spec",)}, ("Slot", "support", "a"), (), []),
        # a problem of the whole document is no problem of any one part
        ({()}, ("Slot", "support", "a"), ((0, "b"), (1, "c"), (2, "a")),
         [((*DEPS, 2), "spec.dependencies[2]: slot 'a' cannot depend on itself")]),
    ],
)
def test_only_usable_parts_of_a_slot_take_part(
    problems: set[parsing.FieldPath], identity: tuple[str, str, str] | None,
    dependencies: tuple[tuple[int, str], ...], found: list[tuple[parsing.FieldPath, str]],
) -> None:
    outline, broken = _outline(SLOT, problems)

    assert outline.identity == identity
    assert outline.dependencies == dependencies
    assert broken == found
    assert outline.address == "Slot/support/a"
    assert outline.locate(*DEPS, 1) == (4, 48)
    assert outline.locate("spec", "fillStrategy") == (4, 7)  # not written: nearest ancestor
    assert outline.locate("status") == (1, 1)  # no written ancestor: the document


@pytest.mark.parametrize(
    ("metadata", "spec", "identity", "dependencies"),
    [
        ("{name: 7, bot: support}", "{dependencies: [b]}", None, ((0, "b"),)),
        ("{name: a}", "{dependencies: [b]}", None, ((0, "b"),)),
        ("[a, support]", "{dependencies: b}", None, ()),
        ("{name: a, bot: support}", "{dependencies: [b, 7, [c]]}", ("Slot", "support", "a"),
         ((0, "b"),)),
        ("{name: a, bot: support}", "[b]", ("Slot", "support", "a"), ()),
    ],
)
def test_ill_typed_parts_are_left_out(
    metadata: str, spec: str, identity: tuple[str, str, str] | None,
    dependencies: tuple[tuple[int, str], ...],
) -> None:
    text = f"apiVersion: cogctl/v1\nkind: Slot\nmetadata: {metadata}\nspec: {spec}\n"

    outline, broken = _outline(text, set())

    assert (outline.identity, outline.dependencies, broken) == (identity, dependencies, [])


def test_only_slots_have_dependencies() -> None:
    text = SLOT.replace("kind: Slot", "kind: Integration")

    outline, broken = _outline(text, set())

    assert (outline.kind, outline.dependencies, broken) == ("Integration", (), [])


@pytest.mark.parametrize(
    ("problems", "repeated"),
    [
        (set(), [2, 3, 4]),
        ({("spec", "cases", 0, "userId")}, [2, 3, 4]),  # a sibling's problem does not matter
        ({("spec", "cases", 0, "id")}, [3, 4]),  # the first test_x cannot be judged
        ({("spec", "cases", 3, "id")}, [2, 4]),
        ({("spec", "cases", 2)}, [3, 4]),
    ],
)
def test_every_repeated_case_id_is_reported(
    problems: set[parsing.FieldPath], repeated: list[int]
) -> None:
    _, broken = _outline(SUITE, problems)

    assert [path for path, _ in broken] == [("spec", "cases", i, "id") for i in repeated]
    assert all(message.endswith("is used twice") for _, message in broken)
    assert broken[0][1].startswith(f"spec.cases[{repeated[0]}].id: case id 'test_")


@pytest.mark.parametrize(
    ("data", "identity", "address"),
    [
        ({"kind": "Slot", "metadata": {"name": "a", "bot": "b"}}, ("Slot", "b", "a"),
         "Slot/b/a"),
        ({"kind": "Slott", "metadata": {"name": "a", "bot": "b"}}, ("Slott", "b", "a"), None),
        ({"kind": "Slot", "metadata": {"name": 1, "bot": "b"}}, None, None),
        ({"kind": "Slot", "metadata": "a"}, None, None),
        (["Slot"], None, None),
    ],
)
def test_raw_identity_and_address(
    data: Any, identity: tuple[str, str, str] | None, address: str | None
) -> None:
    assert crossdoc.raw_identity(data) == identity
    assert crossdoc.raw_address(data) == address
