"""OAuth2 client credentials (RFC 6749 section 4.4) and bearer-token checks.

Tokens are opaque random strings stored with their client, granted scopes and expiry (a clock
reading), so they survive a save and load and expire by the injected clock. A client belongs
to one workspace; ``Caller`` carries both so resource handlers can refuse other workspaces.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from pydantic import JsonValue

from reconciler.emulator.platform import records, wire
from reconciler.emulator.platform.state import TenantState

TOKEN_PATH = "/api/v1/auth/oauth/token"

# The token paths the published tutorials' clients use, served as aliases of ``TOKEN_PATH``
# (same form, same answer), so a client written from any tutorial runs unedited. Sources:
# shared/cognigy-api.md, "Authentication", and each tutorial's token request (README).
TOKEN_PATH_ALIASES: tuple[str, ...] = (
    "/api/oauth/token",  # simulations tutorial
    "/api/v2/auth/token",  # session variables tutorial
    "/oauth/token",  # slots tutorial
    "/api/v1/auth/token",  # named by the contract among the tutorials' paths
)

# Scope names the tutorials ask for -> the contract scope they stand for; None: accepted and
# granting nothing (the contract has no such permission). A client may ask for an alias when
# it may have the contract scope; the token carries the contract's name.
SCOPE_ALIASES: dict[str, str | None] = {
    "bot:read": "cognigy:platform:read",  # session variables and simulations tutorials
    "cognigy:bots:read": "cognigy:platform:read",  # slots tutorial
    "bot:write": None,  # simulations tutorial: nothing it calls needs a write scope
    "cognigy:webhooks:manage": None,  # integrations tutorial: the contract has no webhooks
}


@dataclass(frozen=True)
class Caller:
    client_id: str
    workspace_id: str
    scopes: frozenset[str]


def parse_form(raw: bytes) -> dict[str, str]:
    """A form-encoded body; a repeated field keeps its first value."""
    try:
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise _oauth_error(400, "invalid_request", "the body is not UTF-8") from None
    return {key: values[0] for key, values in fields.items()}


def form_client_id(raw: bytes, authorization: str | None) -> str | None:
    """Who a token request claims to be (for rate limiting and the log), if anyone."""
    basic = _basic_credentials(authorization)
    if basic is not None:
        return basic[0]
    try:
        return parse_form(raw).get("client_id") or None
    except wire.ApiError:
        return None


def issue_token(
    state: TenantState, raw: bytes, authorization: str | None, now: float
) -> wire.Answer:
    form = parse_form(raw)
    if form.get("grant_type") != "client_credentials":
        raise _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    basic = _basic_credentials(authorization)
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    client = state.clients.get(client_id)
    if client is None or not secrets.compare_digest(client.clientSecret, secret):
        raise _oauth_error(401, "invalid_client", "unknown client or wrong secret")
    asked = form.get("scope", "").split()
    requested = list(dict.fromkeys(
        contract for contract in (SCOPE_ALIASES.get(scope, scope) for scope in asked)
        if contract is not None))
    refused = [scope for scope in asked
               if (contract := SCOPE_ALIASES.get(scope, scope)) is not None
               and contract not in client.scopes]
    if refused:
        raise _oauth_error(400, "invalid_scope", f"scope not allowed for this client: "
                           f"{' '.join(refused)}")
    granted = requested if asked else list(client.scopes)
    _forget_expired(state, now)
    token = secrets.token_urlsafe(32)
    ttl = state.settings.tokenTtlSeconds
    state.tokens[token] = records.TokenRecord(
        clientId=client.clientId, scopes=granted, expiresAt=now + ttl
    )
    body: dict[str, JsonValue] = {
        "access_token": token, "token_type": "Bearer", "expires_in": int(ttl),
        "scope": " ".join(granted),
    }
    return wire.Answer(200, body, {"Cache-Control": "no-store"})


def authenticate(state: TenantState, authorization: str | None, now: float) -> Caller:
    """The caller of a bearer request, or ``401 unauthorized``."""
    if not authorization:
        raise _unauthorized("missing Authorization header")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("malformed Authorization header; expected 'Bearer <token>'")
    record = state.tokens.get(token)
    if record is None:
        raise _unauthorized("unknown token")
    if record.expiresAt <= now:
        raise _unauthorized("the token has expired")
    client = state.clients.get(record.clientId)
    if client is None:
        raise _unauthorized("the token's client no longer exists")
    return Caller(record.clientId, client.workspaceId, frozenset(record.scopes))


def require_scopes(caller: Caller, scopes: tuple[str, ...]) -> None:
    missing = [scope for scope in scopes if scope not in caller.scopes]
    if missing:
        needed = " ".join(missing)
        raise wire.ApiError(
            403, "insufficient_scope", f"this request needs the scope {needed}",
            extra={"scope": needed},
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )


def _forget_expired(state: TenantState, now: float) -> None:
    for token in [t for t, rec in state.tokens.items() if rec.expiresAt <= now]:
        del state.tokens[token]


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


def _oauth_error(status: int, error: str, message: str) -> wire.ApiError:
    return wire.ApiError(status, error, message, extra={"error_description": message})


def _unauthorized(message: str) -> wire.ApiError:
    return wire.ApiError(
        401, "unauthorized", message,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
