"""planning (being written)."""
