"""Rules across documents over outlines: addresses and one ContextDefaults per bot."""

from __future__ import annotations

import pytest

from reconciler.manifests import crossdoc, validating


def _doc(kind: str, name: str | None, *, line: int, bot: str | None = "support") -> (
        crossdoc.Outline):
    return crossdoc.Outline(kind, bot, name, (), "m.yaml", line, 1, f"{kind}/{bot}/{name}")


@pytest.mark.parametrize(
    ("documents", "found"),
    [
        ([_doc("Slot", "a", line=1), _doc("Slot", "a", line=9)],
         [(9, "defined twice: here and at m.yaml:1:1")]),
        # the same name in another kind or bot is another address
        ([_doc("Slot", "a", line=1), _doc("Integration", "a", line=9),
          _doc("Slot", "a", line=18, bot="orders")], []),
        # without a usable name or bot a document has no address
        ([_doc("Slot", None, line=1), _doc("Slot", None, line=9)], []),
        ([_doc("Slot", "a", line=1, bot=None), _doc("Slot", "a", line=9, bot=None)], []),
        # one ContextDefaults per bot needs only the bot
        ([_doc("ContextDefaults", "a", line=1), _doc("ContextDefaults", None, line=9)],
         [(9, "bot 'support' already has ContextDefaults at m.yaml:1:1 (one per bot)")]),
        ([_doc("ContextDefaults", "a", line=1), _doc("ContextDefaults", "a", line=9,
                                                      bot=None)], []),
        # a second document at an address is not also a second ContextDefaults
        ([_doc("ContextDefaults", "a", line=1), _doc("ContextDefaults", "a", line=9)],
         [(9, "defined twice: here and at m.yaml:1:1")]),
    ],
)
def test_address_rules_over_outlines(
    documents: list[crossdoc.Outline], found: list[tuple[int, str]]
) -> None:
    diagnostics = validating.check_documents(documents)

    assert [(d.line, d.message) for d in diagnostics] == found
