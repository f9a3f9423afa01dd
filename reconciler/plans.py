"""plans (being written)."""
