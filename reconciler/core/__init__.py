"""The pure core: a live snapshot and the desired manifests -> normalized contents, hashes, an
ordered immutable plan. No I/O of any kind."""
