"""The engine: drives a ``Backend`` through one run: fetch live state, write exactly the plan,
retrain once per bot, verify, roll back. Never prints; reports through progress events."""
