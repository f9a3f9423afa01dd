"""Keyphrase slots on Cognigy.AI: a lexicon, a lexicon slot and entries, attached to the flow.

Policy (``shared/cognigy-ai-v2.md`` section 3.1):

- One lexicon per keyphrase slot (``cogctl-<bot>-<slot>``, its description cogctl's marker
  ``cogctl:<address>``, its referenceId the uuid5 of ``<address>#lexicon``) holding one lexicon
  slot of the slot's name and one entry per pattern (``mainKeyphrase``, no synonyms). The
  lexicon is attached to the bot's flow for its locale; the slot filler is ``type: slot``.
- Reads list the lexicon's entries (lexicon entries carry no version of their own that a
  filler would show): the slot's patterns are the main keyphrases and synonyms of the
  entries naming the lexicon slot, in the recorded order while they are the recorded set. A
  lexicon gone or no longer attached reads as no patterns, which the plan shows as drift.
- Writes touch only what differs: missing entries are created, extra ones deleted; an
  order-only change writes nothing here (a lexicon is a set; the order lives in the state).
- Creates follow the adopt-after-lost-POST rule (a lexicon of the same referenceId or name, a
  lexicon slot of the same name, is adopted). Prune detaches the lexicon, then deletes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from reconciler import errors
from reconciler.backend.cognigy_ai import http, mapping
from reconciler.backend.cognigy_ai.sites import Site

MARKER = "cogctl:"


def _seg(value: str) -> str:
    return quote(value, safe="")


def lexicon_name(bot: str, name: str) -> str:
    return f"cogctl-{bot}-{name}"


def keyphrases_of(entries: Sequence[Mapping[str, Any]], slot_id: str) -> list[str]:
    """The keyphrases (main ones and synonyms) of the entries naming the lexicon slot."""
    found: list[str] = []
    for entry in entries:
        refs = entry.get("slotReferences")
        if not isinstance(refs, list) or slot_id not in refs:
            continue
        main = entry.get("mainKeyphrase")
        if isinstance(main, str):
            found.append(main)
        for phrase in entry.get("keyphrases") or ():
            value = phrase.get("value") if isinstance(phrase, dict) else phrase
            if isinstance(value, str) and value != main:
                found.append(value)
    return found


def ordered(found: Sequence[str], recorded: Sequence[str] | None) -> list[str]:
    """The recorded order while ``found`` is the recorded set, else the order found."""
    if recorded is not None and sorted(found) == sorted(recorded):
        return list(recorded)
    return list(found)


class Keyphrases:
    """The lexicon side of keyphrase slots, for ``CognigyAiBackend``."""

    def __init__(self, requester: http.Requester) -> None:
        self.http = requester

    async def patterns(self, site: Site, record: Mapping[str, Any] | None,
                       attached: Sequence[Any]) -> list[str]:
        """The live patterns of a keyphrase slot as its record names them."""
        lexicon_id = (record or {}).get("lexiconId")
        slot_id = (record or {}).get("lexiconSlotId")
        if not isinstance(lexicon_id, str) or lexicon_id not in attached:
            return []
        try:
            entries = await self.http.collect(f"/lexicons/{_seg(lexicon_id)}/entries")
        except errors.NotFoundError:
            return []
        recorded = (record or {}).get("patterns")
        return ordered(keyphrases_of(entries, str(slot_id)),
                       recorded if isinstance(recorded, list) else None)

    async def write(self, site: Site, key: str, name: str, patterns: Sequence[str],
                    record: Mapping[str, Any] | None) -> dict[str, str]:
        """Make the lexicon hold exactly ``patterns`` and be attached; its ids."""
        lexicon = await self._lexicon(site, key, name, record)
        lexicon_id = str(lexicon["_id"])
        slot_id = await self._slot(lexicon_id, name)
        path = f"/lexicons/{_seg(lexicon_id)}/entries"
        entries = await self.http.collect(path)
        ours = [e for e in entries if slot_id in (e.get("slotReferences") or [])]
        have = {str(e.get("mainKeyphrase")): e for e in ours if not e.get("keyphrases")}
        for entry in ours:
            if have.get(str(entry.get("mainKeyphrase"))) is not entry or (
                    entry.get("mainKeyphrase") not in patterns):
                with contextlib.suppress(errors.NotFoundError):
                    await self.http.request("DELETE", f"{path}/{_seg(str(entry['_id']))}")
        for phrase in patterns:
            if phrase not in have:
                await self._entry(path, phrase, slot_id)
        await self.attach(site, lexicon_id)
        return {"lexiconId": lexicon_id, "lexiconSlotId": slot_id}

    async def _lexicon(self, site: Site, key: str, name: str,
                       record: Mapping[str, Any] | None) -> dict[str, Any]:
        known = (record or {}).get("lexiconId")
        if isinstance(known, str):
            with contextlib.suppress(errors.NotFoundError):
                return await self.http.get(f"/lexicons/{_seg(known)}")
        wanted = lexicon_name(site.logical, name)
        body = {"projectId": site.project_id, "name": wanted, "description": MARKER + key,
                "referenceId": mapping.reference_id(f"{key}#lexicon")}

        async def _find() -> dict[str, Any] | None:
            items = await self.http.collect("/lexicons", {"projectId": site.project_id,
                                                          "filter": wanted})
            return next((i for i in items if i.get("referenceId") == body["referenceId"]
                         or i.get("name") == wanted), None)

        try:
            return await site.create("/lexicons", body, _find)
        except errors.ConflictError:
            found = await _find()  # left by a run whose state write was lost
            if found is None or found.get("description") != body["description"]:
                raise errors.NameConflictError(
                    f"a lexicon {wanted!r} exists already and is not cogctl's for {key}",
                    method="POST", path="/lexicons", status=409,
                    hint="rename or delete that lexicon") from None
            return found

    async def _slot(self, lexicon_id: str, name: str) -> str:
        path = f"/lexicons/{_seg(lexicon_id)}/slots"
        for slot in await self.http.collect(path):
            if slot.get("name") == name:
                return str(slot["_id"])
        try:
            answer = await self.http.request("POST", path, json={"name": name})
            return str(http.expect_object(answer, "POST", path)["_id"])
        except (errors.ServerError, errors.TransportError, errors.ConflictError):
            for slot in await self.http.collect(path):  # the lost answer went through
                if slot.get("name") == name:
                    return str(slot["_id"])
            raise

    async def _entry(self, path: str, phrase: str, slot_id: str) -> None:
        body = {"mainKeyphrase": phrase, "keyphrases": [], "slotReferences": [slot_id],
                "data": "{}"}
        try:
            await self.http.request("POST", path, json=body)
        except (errors.ServerError, errors.TransportError):
            entries = await self.http.collect(path)
            if not any(e.get("mainKeyphrase") == phrase
                       and slot_id in (e.get("slotReferences") or []) for e in entries):
                await self.http.request("POST", path, json=body)

    async def attach(self, site: Site, lexicon_id: str, *, detach: bool = False) -> None:
        """Attach the lexicon to the bot's flow for its locale (or detach it)."""
        path = f"/flows/{site.flow_id}"
        flow = await self.http.get(path)
        attached = [str(i) for i in flow.get("attachedLexicons") or []]
        wanted = ([i for i in attached if i != lexicon_id] if detach
                  else [*attached, lexicon_id] if lexicon_id not in attached else attached)
        if wanted != attached:
            await self.http.request("PATCH", path, json={"attachedLexicons": wanted,
                                                         "localeId": site.locale_id})

    async def remove(self, site: Site, record: Mapping[str, Any] | None) -> None:
        """Detach and delete the slot's lexicon (its slot and entries go with it)."""
        lexicon_id = (record or {}).get("lexiconId")
        if not isinstance(lexicon_id, str):
            return
        await self.attach(site, lexicon_id, detach=True)
        with contextlib.suppress(errors.NotFoundError):
            await self.http.request("DELETE", f"/lexicons/{_seg(lexicon_id)}")
