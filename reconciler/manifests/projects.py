"""The project file, ``cogctl.yaml``: environments, logical bot mapping, ``vars``.

Re-exported by ``models`` (``models.ProjectConfig``), where the manifest kinds live; kept
apart so that each module stays small. Frozen, unknown keys refused, like the manifests.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from reconciler.manifests import rules

BOT_PATTERN = r"^[A-Za-z0-9_.\-]+$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class EmulatorTarget(_Frozen):
    """Run against the embedded emulator, seeded from ``fixture`` (relative to cogctl.yaml)."""

    fixture: Annotated[str, Field(min_length=1)]


API_PLATFORM = "platform"
API_COGNIGY_AI = "cognigy-ai"
DEFAULT_AI_PREFIX = "/new/v2.0"


DEFAULT_INTEGRATIONS_FLOW = "cogctl-integrations"


class CognigyAiBot(_Frozen):
    """Where a logical bot lives on a Cognigy.AI tenant: a project, its flow and a locale,
    each by name or ``_id`` (resolved once per run), and the flow that holds its
    integrations' HTTP Request nodes (default: ``cogctl-integrations``, which cogctl
    creates when it first writes one)."""

    project: Annotated[str, Field(min_length=1, max_length=200)]
    flow: Annotated[str, Field(min_length=1, max_length=200)]
    locale: Annotated[str, Field(min_length=1, max_length=200)]
    integrationsFlow: Annotated[str, Field(min_length=1, max_length=200)] = (
        DEFAULT_INTEGRATIONS_FLOW)


_BOT_ID = re.compile(BOT_PATTERN)
_TARGET_SCHEMA: dict[str, Any] = {"anyOf": [
    {"type": "string", "pattern": BOT_PATTERN},
    {"type": "object", "additionalProperties": False,
     "required": ["project", "flow", "locale"],
     "properties": {k: {"type": "string", "minLength": 1, "maxLength": 200}
                    for k in ("project", "flow", "locale", "integrationsFlow")}},
]}


def _bot_target(value: Any) -> str | CognigyAiBot:
    """A botId (``platform``) or ``{project, flow, locale}`` (``cognigy-ai``): one error
    at the value, not one per shape it could have had."""
    if isinstance(value, CognigyAiBot):
        return value
    if isinstance(value, Mapping):
        try:
            return CognigyAiBot.model_validate(dict(value))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None
    if not isinstance(value, str) or not _BOT_ID.match(value):
        raise ValueError(f"String should match pattern '{BOT_PATTERN}' (a botId), or be "
                         "{project, flow, locale} with api: cognigy-ai")
    return value


BotTarget = Annotated[Any, BeforeValidator(_bot_target), WithJsonSchema(_TARGET_SCHEMA)]


def _check_prefix(prefix: str) -> str:
    if not prefix.startswith("/") or prefix.endswith("/") or "?" in prefix or "#" in prefix:
        raise ValueError("must be a path like /new/v2.0 (leading slash, no trailing slash)")
    return prefix


class Environment(_Frozen):
    """One target: a tenant (``tenantUrl``) or the embedded emulator (``emulator``), not both.

    ``api`` says which API the tenant speaks: ``platform`` (the default; ``tenantUrl``,
    ``bots`` maps logical bot names to botIds, a logical name with no mapping is the botId
    itself) or ``cognigy-ai`` (Cognigy.AI's v2.0 REST API: ``baseUrl``, optional
    ``apiPrefix``, and ``bots`` maps each logical name to ``{project, flow, locale}``).
    ``vars`` fill ``${vars.NAME}`` in manifests. With neither target, the tenant comes from
    ``COGNIGY_TENANT_URL`` or the emulator runs.
    """

    api: Literal["platform", "cognigy-ai"] = "platform"
    tenantUrl: Annotated[str, AfterValidator(rules.check_tenant_url)] | None = None
    tokenUrl: Annotated[str, AfterValidator(rules.check_token_url)] | None = None
    baseUrl: Annotated[str, AfterValidator(rules.check_tenant_url)] | None = None
    apiPrefix: Annotated[str, AfterValidator(_check_prefix)] | None = None
    emulator: EmulatorTarget | None = None
    bots: dict[Annotated[str, Field(pattern=BOT_PATTERN)], BotTarget] = Field(
        default_factory=dict)
    vars: dict[Annotated[str, Field(pattern=ENV_VAR_PATTERN)], str] = Field(default_factory=dict)
    rateLimitPerMinute: Annotated[int, Field(ge=1)] | None = None
    # Promotion: this environment is applied only after the one it names applied and verified.
    after: Annotated[str, Field(pattern=BOT_PATTERN)] | None = None

    @property
    def is_cognigy_ai(self) -> bool:
        return self.api == API_COGNIGY_AI

    def bot_id(self, logical: str) -> str:
        """The botId a logical bot maps to; on ``cognigy-ai`` the logical name itself."""
        mapped = self.bots.get(logical, logical)
        return mapped if isinstance(mapped, str) else logical

    def platform_bots(self) -> dict[str, str]:
        """The ``platform`` mapping: logical name -> botId (empty on ``cognigy-ai``)."""
        return {k: v for k, v in self.bots.items() if isinstance(v, str)}

    def ai_bots(self) -> dict[str, CognigyAiBot]:
        """The ``cognigy-ai`` mapping: logical name -> where the bot lives."""
        return {k: v for k, v in self.bots.items() if isinstance(v, CognigyAiBot)}

    @model_validator(mode="after")
    def _api_fields(self) -> Environment:
        if self.is_cognigy_ai:
            if self.tenantUrl is not None or self.tokenUrl is not None:
                raise rules.violation("api cognigy-ai takes baseUrl, not tenantUrl/tokenUrl",
                                      "tenantUrl" if self.tenantUrl else "tokenUrl")
            if self.baseUrl is not None and self.emulator is not None:
                raise rules.violation("set baseUrl or emulator, not both", "emulator")
            for logical, where in self.bots.items():
                if isinstance(where, str):
                    raise rules.violation(
                        "on api cognigy-ai a bot maps to {project, flow, locale}", "bots",
                        logical)
        else:
            for field in ("baseUrl", "apiPrefix"):
                if getattr(self, field) is not None:
                    raise rules.violation(f"{field} needs api: cognigy-ai", field)
            for logical, where in self.bots.items():
                if not isinstance(where, str):
                    raise rules.violation(
                        "a mapping {project, flow, locale} needs api: cognigy-ai", "bots",
                        logical)
        return self

    @model_validator(mode="after")
    def _one_target(self) -> Environment:
        if self.tenantUrl is not None and self.emulator is not None:
            raise rules.violation("set tenantUrl or emulator, not both", "emulator")
        seen: dict[str, str] = {}
        for logical, bot_id in self.platform_bots().items():
            if bot_id in seen:
                raise rules.violation(
                    f"bots {seen[bot_id]!r} and {logical!r} both map to {bot_id!r}", "bots", logical
                )
            seen[bot_id] = logical
        return self


EnvName = Annotated[str, Field(pattern=ENV_VAR_PATTERN)]


class SecretPolicy(_Frozen):
    """Which environment variables secret references may name: those in ``allow`` and those
    starting with one of ``allowPrefixes``. With neither given, any variable that is not
    reserved (``rules.reserved_secret_env``); reserved ones are never allowed, so neither
    list may name one.
    """

    allow: list[EnvName] | None = None
    allowPrefixes: list[EnvName] | None = None

    @model_validator(mode="after")
    def _not_reserved(self) -> SecretPolicy:
        for index, name in enumerate(self.allow or ()):
            reason = rules.reserved_secret_env(name)
            if reason:
                raise rules.violation(f"{name} may not be allowed: {reason}", "allow", index)
        for index, prefix in enumerate(self.allowPrefixes or ()):
            # A prefix that a reserved name starts with, or that starts with a reserved one.
            clash = rules.reserved_secret_env(prefix + "X") or next(
                (f"{reserved}* variables are reserved" for reserved in
                 rules.RESERVED_ENV_PREFIXES if reserved.startswith(prefix.upper())), None)
            if clash:
                raise rules.violation(
                    f"prefix {prefix} may not be allowed: {clash}", "allowPrefixes", index)
        return self

    @property
    def restricts(self) -> bool:
        return self.allow is not None or self.allowPrefixes is not None

    def permits(self, name: str) -> bool:
        """True when a secret reference may name ``name`` under this policy."""
        if rules.reserved_secret_env(name) is not None:
            return False
        if not self.restricts:
            return True
        return name in (self.allow or ()) or name.startswith(tuple(self.allowPrefixes or ()))

    def describe(self) -> str:
        parts = [*(self.allow or ()), *(f"{p}*" for p in self.allowPrefixes or ())]
        return ", ".join(parts) or "none"


class ProjectConfig(_Frozen):
    environments: Annotated[
        dict[Annotated[str, Field(pattern=BOT_PATTERN)], Environment], Field(min_length=1)
    ]
    defaultEnvironment: str | None = None
    secrets: SecretPolicy = Field(default_factory=SecretPolicy)
    # Every manifest path of the project, relative to cogctl.yaml (default: its folder):
    # prune runs only when a run loads them all.
    manifests: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = (
        None
    )

    @model_validator(mode="after")
    def _promotion_order(self) -> ProjectConfig:
        for name, environment in self.environments.items():
            seen = [name]
            step = environment.after
            while step is not None:
                if step not in self.environments:
                    choices = ", ".join(n for n in self.environments if n != name)
                    raise rules.violation(
                        f"after: unknown environment {step!r} (defined: {choices})",
                        "environments", seen[-1], "after",
                    )
                if step in seen:
                    cycle = " -> ".join([*seen, step])
                    raise rules.violation(f"after: promotion cycle {cycle}",
                                          "environments", name, "after")
                seen.append(step)
                step = self.environments[step].after
        return self

    def promotion_order(self) -> list[tuple[str, str | None]]:
        """(environment, the one it follows) in an order that applies every predecessor
        first, otherwise in the order of the file."""
        ordered: list[tuple[str, str | None]] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            after = self.environments[name].after
            if after is not None:
                visit(after)
            done.add(name)
            ordered.append((name, after))

        for name in self.environments:
            visit(name)
        return ordered

    @model_validator(mode="after")
    def _known_default(self) -> ProjectConfig:
        if self.defaultEnvironment is not None and (
            self.defaultEnvironment not in self.environments
        ):
            choices = ", ".join(sorted(self.environments))
            raise rules.violation(
                f"unknown environment {self.defaultEnvironment!r} (defined: {choices})",
                "defaultEnvironment",
            )
        return self


ENV_VARIABLE = "COGCTL_ENV"


class EnvironmentChoiceError(ValueError):
    """No environment could be chosen; the message says why and how to choose."""


def choose_environment(
    config: ProjectConfig, requested: str | None, environ: Mapping[str, str]
) -> str:
    """The one rule every command follows to pick its environment of ``config``.

    ``--env`` (``requested``), else ``$COGCTL_ENV``, else ``defaultEnvironment``, else
    ``local`` when defined, else the only one. Raises ``EnvironmentChoiceError``.
    """
    names = list(config.environments)
    choice = requested or environ.get(ENV_VARIABLE) or config.defaultEnvironment
    if choice is None:
        if "local" in config.environments:
            return "local"
        if len(names) == 1:
            return names[0]
        raise EnvironmentChoiceError(
            f"several environments ({', '.join(names)}): choose one with --env NAME, "
            f"{ENV_VARIABLE} or defaultEnvironment")
    if choice not in config.environments:
        source = "--env" if requested else (
            ENV_VARIABLE if environ.get(ENV_VARIABLE) else "defaultEnvironment")
        close = difflib.get_close_matches(choice, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise EnvironmentChoiceError(
            f"unknown environment {choice!r} from {source} ({hint}defined: {', '.join(names)})")
    return choice
