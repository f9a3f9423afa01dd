"""JSON as plain Python values: the one definition every layer's type hints use."""

from __future__ import annotations

JsonScalar = str | int | float | bool | None
# Recursive JSON as it arrives from the wire or a file; pydantic.JsonValue is the same shape.
Json = JsonScalar | list["Json"] | dict[str, "Json"]
