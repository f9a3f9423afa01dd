"""The edge that talks to a Cognigy tenant, and the HTTP toolkit every client of cogctl uses.

``base`` the ``Backend`` protocol and ``RequestEvent``; ``client`` ``PlatformBackend``, the
protocol over the Platform API; ``requesting`` one logical request (rate limit, token,
retries, observers) and the Platform API's error origin; ``auth`` the shared token;
``ratelimit`` the token bucket; ``pagination`` offset pages; ``embedded`` the client over the
in-process emulator; ``httpkit`` the HTTP toolkit (the only package that imports httpx and
tenacity); ``cognigy_ai`` the second backend.
"""
