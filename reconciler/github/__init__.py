"""GitHub: sticky pull-request comments, drift issues and reviewed-plan stamps, through the
GitHub REST API."""
