"""The project file, ``cogctl.yaml``: environments, logical bot mapping, ``vars``.

Re-exported by ``models`` (``models.ProjectConfig``), where the manifest kinds live; kept
apart so that each module stays small. Frozen, unknown keys refused, like the manifests.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from reconciler.manifests import rules

BOT_PATTERN = r"^[A-Za-z0-9_.\-]+$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class EmulatorTarget(_Frozen):
    """Run against the embedded emulator, seeded from ``fixture`` (relative to cogctl.yaml)."""

    fixture: Annotated[str, Field(min_length=1)]


class Environment(_Frozen):
    """One target: a tenant (``tenantUrl``) or the embedded emulator (``emulator``), not both.

    ``bots`` maps logical bot names (``metadata.bot``) to this tenant's botIds; a logical
    name with no mapping is the botId itself. ``vars`` fill ``${vars.NAME}`` in manifests.
    With neither target, the tenant comes from ``COGNIGY_TENANT_URL`` or the emulator runs.
    """

    tenantUrl: Annotated[str, AfterValidator(rules.check_tenant_url)] | None = None
    tokenUrl: Annotated[str, AfterValidator(rules.check_token_url)] | None = None
    emulator: EmulatorTarget | None = None
    bots: dict[
        Annotated[str, Field(pattern=BOT_PATTERN)], Annotated[str, Field(pattern=BOT_PATTERN)]
    ] = Field(default_factory=dict)
    vars: dict[Annotated[str, Field(pattern=ENV_VAR_PATTERN)], str] = Field(default_factory=dict)
    rateLimitPerMinute: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Environment:
        if self.tenantUrl is not None and self.emulator is not None:
            raise rules.violation("set tenantUrl or emulator, not both", "emulator")
        seen: dict[str, str] = {}
        for logical, bot_id in self.bots.items():
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
