"""What a run leaves behind for others: the hash-chained audit log, signed webhooks, Prometheus
metrics."""
