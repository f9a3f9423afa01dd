"""diffing (being written)."""
