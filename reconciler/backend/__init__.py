"""The edge that talks to a Cognigy tenant. Only this package imports httpx and tenacity.

``base`` the ``Backend`` protocol and ``RequestEvent``; ``client`` ``PlatformBackend``, the
protocol over the Platform API; ``requesting`` one logical request (rate limit, token,
retries, observers); ``auth`` the shared token; ``retrying`` the one retry policy;
``ratelimit`` the token bucket; ``pagination`` offset pages; ``errors`` HTTP status -> our
errors; ``embedded`` the client over the in-process emulator.
"""
