"""A local Cognigy tenant: the Platform API contract as a Starlette app."""
