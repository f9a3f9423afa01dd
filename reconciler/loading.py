"""loading (being written)."""
