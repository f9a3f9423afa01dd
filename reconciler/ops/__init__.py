"""The operational commands beside the reconcile loop: context inject and render, session
snapshots, integration probes (behind the SSRF guard), export."""
