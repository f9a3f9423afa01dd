"""The one HTTP toolkit of cogctl: the only package that imports httpx (and tenacity).

Every HTTP client of cogctl sends through it: the Platform client (``backend.requesting``), the
Cognigy.AI client (``backend.cognigy_ai.http``), the GitHub client (``github.api``), the webhook
sender (``records.webhooks``) and the integration probe (``ops.probing``).

``sending`` builds the pooled ``httpx.AsyncClient`` (timeouts, a deadline, TLS, the in-process
ASGI transport of the embedded emulators, DNS pinning) and sends one attempt; ``retrying`` is
the one retry policy and loop (tenacity) and the one ``Retry-After`` parser; ``failures`` maps
HTTP statuses and transport failures to ``reconciler.errors`` classes for an *origin* (who
answered: "Platform API", "GitHub API", ...) with that origin's hints; ``redacting`` is the one
redaction of URLs and the debug line of every exchange.

A client names its origin once; every error it raises then says where it came from, and no
httpx exception or type leaves this package.
"""
