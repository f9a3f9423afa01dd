"""applying (being written)."""
