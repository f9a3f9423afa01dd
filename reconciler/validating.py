"""validating (being written)."""
