"""The second backend: Cognigy.AI's own v2.0 REST API (``shared/cognigy-ai-v2.md``).

``http`` sends requests (``X-API-Key``, RFC 7807 errors, cursor pages, pacing), ``mapping``
holds the pure translation between the Platform-shaped objects the core plans and Cognigy.AI's
slot fillers and flow contexts, ``adapter`` implements the ``Backend`` protocol over both, and
``embedded`` serves the v2 emulator in-process.
"""
