"""``${vars.NAME}`` placeholders: filled from the environment's ``vars`` before validation.

Placeholders may appear in any string value of a manifest (not in keys), alone or inside
text (``${vars.crmUrl}/orders``). ``$${vars.NAME}`` is the literal text ``${vars.NAME}``.
A value that is one unquoted placeholder and nothing else takes the YAML type of what it is
replaced with, so ``timeoutSeconds: ${vars.timeout}`` with ``timeout: "20"`` is the number
20, as if written in place. An unknown NAME is a problem at the string that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.manifests import parsing

_PLACEHOLDER = re.compile(r"(\$?)\$\{vars\.([^}]*)\}")


def substitute(doc: parsing.ParsedDocument, variables: Mapping[str, str] | None) -> tuple[
        Any, list[tuple[parsing.FieldPath, str]]]:
    """The document's data with placeholders filled, and (path, message) for each unknown.

    ``variables`` None means no project file is in effect. The input is never modified:
    aliased values are shared between places, so a new tree is built.
    """
    problems: list[tuple[parsing.FieldPath, str]] = []

    def fill(value: Any, path: parsing.FieldPath) -> Any:
        if isinstance(value, str):
            return _fill_string(value, path, doc.plain, variables, problems)
        if isinstance(value, dict):
            return {key: fill(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item, (*path, index)) for index, item in enumerate(value)]
        return value

    return fill(doc.data, ()), problems


def _fill_string(text: str, path: parsing.FieldPath, plain: set[parsing.FieldPath],
                 variables: Mapping[str, str] | None,
                 problems: list[tuple[parsing.FieldPath, str]]) -> Any:
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        escaped, name = match.group(1), match.group(2)
        if escaped:
            return match.group(0)[1:]
        if variables is None:
            problems.append((path, f"${{vars.{name}}} needs vars, but no cogctl.yaml was "
                                   "found beside the manifests (or pass --config FILE)"))
            return match.group(0)
        if name not in variables:
            known = ", ".join(sorted(variables)) or "none"
            problems.append((path, f"unknown variable ${{vars.{name}}} (defined for this "
                                   f"environment: {known})"))
            return match.group(0)
        return variables[name]

    filled = _PLACEHOLDER.sub(replace, text)
    whole = _PLACEHOLDER.fullmatch(text)
    if whole is not None and not whole.group(1) and path in plain and filled != text:
        return parsing.resolve_plain(filled)
    return filled
