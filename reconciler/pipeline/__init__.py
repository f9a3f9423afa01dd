"""The pipeline as a library: one call per command plans, applies, verifies, simulates or
exports, and records the run (audit log, webhooks, metrics).

Layered between the CLI and ``github | ops | records``: it may import every package below it
and is imported by ``cli`` alone. It never prints and never raises click exceptions: results
come back as data, progress through listener callbacks, and lines meant for the person
running the command (the target, a warning) through a ``Note`` callback the CLI shows.
``reports``, ``opreports`` and ``progresslines`` build the text and JSON of those results
(of engine, ops and records types, which ``rendering`` may not import); the CLI prints them.
"""
