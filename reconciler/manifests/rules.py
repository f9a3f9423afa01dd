"""Field rules the manifest models share: URLs, JMESPath, sizes, patterns, literal credentials.

Secrets exist in manifests only as references (``{fromEnv: NAME}``). These checks catch the
common ways a credential slips in as a literal anyway: an Authorization or API-key header, a
password-like key in a request mapping, user:password in a URL, an api_key query parameter.
A value is a template only where its ``{{ expr }}`` placeholders are: they are filled at run
time, and what remains around them is literal and still checked (``Bearer {{token}}`` is
fine, ``sk_live_...{{x}}`` or ``sk_live_...{{}}`` is a literal credential). ``PLACEHOLDER`` is
the one definition of a placeholder; the request mapping fills exactly these.

Secret references may not name the reconciler's or the CI's own credentials
(``reserved_secret_env``): an integration pointing at a third party must never be able to
carry ``COGNIGY_CLIENT_SECRET`` or ``GITHUB_TOKEN`` away.

URLs that carry credentials (tenant, token) follow one rule wherever they come from
(``check_tenant_url``): https, or http to a loopback host written plainly (``localhost``,
``127.0.0.1``, ``[::1]``); odd spellings such as ``2130706433`` or ``0177.0.0.1`` are refused.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.parse
from collections.abc import Sequence

import jmespath
from jmespath import exceptions as jmespath_exceptions
from pydantic_core import PydanticCustomError

from reconciler.jsontypes import Json
from reconciler.manifests import patterncache

RESERVED_LABEL_PREFIX = "cogctl/"

# Header names that carry credentials, whole or in part.
_SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
    }
)
_SENSITIVE_PART = re.compile(r"(?i)token|secret|passw(or)?d|api[-_]?key|credential|private[-_]?key")
# ``{{ expr }}``: ``expr`` starts with a non-blank character and runs to the first ``}}``.
PLACEHOLDER = re.compile(r"\{\{\s*((?:(?!\}\})\S)(?:(?!\}\}).)*?)\s*\}\}")
# What may stand beside placeholders in a credential-carrying value: auth scheme words.
_SCHEME_WORDS = frozenset(
    {"bearer", "basic", "token", "digest", "apikey", "api-key", "key", "negotiate", "hmac"}
)
_WORD = re.compile(r"[^\s,;:=\"'()\[\]<>]+")

# Environment variables a secret reference may never name: the reconciler's own settings
# and credentials, and what CI systems keep their tokens in. Compared case-insensitively
# (Windows environments are).
RESERVED_ENV_PREFIXES = (
    "COGNIGY_", "COGCTL_",                      # the reconciler's own credentials and settings
    "GITHUB_", "ACTIONS_", "RUNNER_", "INPUT_",  # GitHub Actions
    "CI_", "GITLAB_",                           # GitLab CI
    "BUILDKITE_", "CIRCLE_", "TRAVIS_", "JENKINS_", "BITBUCKET_", "SYSTEM_",  # others
    "AWS_", "AZURE_", "ARM_", "GOOGLE_", "GCP_",  # cloud credentials CI runners carry
)
RESERVED_ENV_NAMES = frozenset({"GH_TOKEN", "GH_ENTERPRISE_TOKEN", "NPM_TOKEN", "PYPI_TOKEN",
                                "TWINE_PASSWORD", "DOCKER_PASSWORD"})
_LOOPBACK_HOSTS = frozenset({"localhost"})


def violation(reason: str, *at: str | int) -> PydanticCustomError:
    """A rule violation at field path ``at`` below the raising validator's own location."""
    return PydanticCustomError("cogctl_rule", "{reason}", {"reason": reason, "at": at})


def first_duplicate(items: Sequence[str]) -> tuple[int, str] | None:
    """Index and value of the first item seen before, or None when all are distinct."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item in seen:
            return index, item
        seen.add(item)
    return None


def safe_pattern(pattern: str) -> str:
    """A slot pattern, refused with the reason unless ``regexes.check_pattern`` accepts it."""
    reason = patterncache.check_pattern(pattern)  # regexes.check_pattern, remembered
    if reason is not None:
        raise PydanticCustomError("unsafe_pattern", "{reason}", {"reason": f"pattern {reason}"})
    return pattern


def label_key(key: str) -> str:
    if key.startswith(RESERVED_LABEL_PREFIX):
        raise ValueError(f"label keys under {RESERVED_LABEL_PREFIX!r} are reserved for cogctl")
    return key


def not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


def json_size(value: object) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON, as the platform measures its limits."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8"))


def is_sensitive_name(name: str) -> bool:
    """True for a header or field name that usually carries a credential."""
    return name.lower() in _SENSITIVE_HEADERS or bool(_SENSITIVE_PART.search(name))


def _is_literal(value: str) -> bool:
    """True when ``value`` holds literal text beyond placeholders and auth scheme words."""
    remainder = PLACEHOLDER.sub(" ", value)
    return any(word.lower() not in _SCHEME_WORDS for word in _WORD.findall(remainder))


def literal_part(value: str) -> str:
    """``value`` with its placeholders taken out: the part that is literal text."""
    return PLACEHOLDER.sub("", value)


def reserved_secret_env(name: str) -> str | None:
    """Why a secret reference may not name ``name``, or None when it may."""
    upper = name.upper()
    if upper in RESERVED_ENV_NAMES:
        return f"{name} is the reconciler's or the CI's own variable"
    for prefix in RESERVED_ENV_PREFIXES:
        if upper.startswith(prefix):
            return (f"{prefix}* variables hold the reconciler's or the CI's own settings "
                    "and credentials")
    return None


def check_secret_env(name: str) -> str:
    """A secret reference's variable name, refused when it is a reserved one."""
    reason = reserved_secret_env(name)
    if reason is not None:
        raise ValueError(
            f"a secret may not come from {name}: {reason}; give the integration its own "
            "variable (e.g. CRM_API_TOKEN)"
        )
    return name


def _jmespath_reason(exc: jmespath_exceptions.JMESPathError) -> str:
    if isinstance(exc, jmespath_exceptions.EmptyExpressionError):
        return "it is empty"
    if isinstance(exc, jmespath_exceptions.IncompleteExpressionError):
        return "it ends too early"
    detail = getattr(exc, "message", None) or getattr(exc, "msg", None) or "syntax error"
    position = getattr(exc, "lex_position", None)
    return f"{detail} at position {position}" if position is not None else str(detail)


def check_jmespath(expression: str) -> str:
    """Refuse an expression that does not compile as JMESPath, with the parser's reason."""
    try:
        jmespath.compile(expression)
    except jmespath_exceptions.JMESPathError as exc:
        raise ValueError(f"not a valid JMESPath expression: {_jmespath_reason(exc)}") from None
    return expression


def _check_absolute(url: str, *, schemes: tuple[str, ...]) -> urllib.parse.SplitResult:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if parts.scheme not in schemes or not parts.hostname:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(
            f"must be an absolute {wanted} URL with a host, e.g. https://api.example.com/path"
        )
    if parts.password is not None or parts.username is not None:
        raise ValueError("must not carry credentials (user:password@); use auth.secret")
    return parts


def check_url(url: str) -> str:
    """An integration URL: absolute https with a host, no credentials in it."""
    parts = _check_absolute(url, schemes=("https",))
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if is_sensitive_name(name) and _is_literal(value):
            raise ValueError(
                f"query parameter {name!r} looks like a literal credential; use auth.secret"
            )
    return url


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return False  # ::ffff:127.0.0.1 is an odd spelling (Python 3.13 calls it loopback)
    return address.is_loopback


def check_tenant_url(url: str) -> str:
    """A tenant URL: https, or http to a loopback host (a local emulator server)."""
    parts = _check_absolute(url, schemes=("https", "http"))
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ValueError(
            "must be https:// (http:// is allowed only for a loopback host written plainly: "
            "localhost, 127.0.0.1, [::1])"
        )
    return url


def check_token_url(url: str) -> str:
    """A token URL: a path on the tenant (``/api/v1/auth/oauth/token``) or a tenant-like URL."""
    if url.startswith("/"):
        return url
    return check_tenant_url(url)


def literal_header_reason(header: str, value: str, auth_header: str | None) -> str | None:
    """Why a header is refused (a credential as a literal value), or None when it is fine."""
    if auth_header is not None and header.lower() == auth_header.lower():
        return f"header {header!r} is set by auth (headerName); do not set it in headers"
    if is_sensitive_name(header) and _is_literal(value):
        return (
            f"header {header!r} would carry a literal credential; use auth with "
            "secret: {fromEnv: NAME}"
        )
    return None


def find_literal_secret(mapping: dict[str, Json]) -> tuple[str | int, ...] | None:
    """The path of the first credential-like key holding a literal string, or None."""
    stack: list[tuple[tuple[str | int, ...], Json]] = [((), mapping)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and is_sensitive_name(key) and _is_literal(value):
                    return (*path, key)
                stack.append(((*path, key), value))
        elif isinstance(node, list):
            stack.extend(((*path, index), item) for index, item in enumerate(node))
    return None
