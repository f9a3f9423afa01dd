"""normalizing (being written)."""
