"""The edge that talks to a Cognigy tenant. Only this package imports httpx and tenacity."""
