"""Local Cognigy tenants for dry runs and tests, one subpackage per API: ``platform`` serves the
Platform API contract (``shared/cognigy-api.md``). Product code: never imports the client, the
CLI or the core."""
