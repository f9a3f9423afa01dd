"""Manifest kinds as frozen pydantic models: the desired state, as users write it.

Field names are the manifest's camelCase keys (they are the public format, see
``shared/interfaces.md``); unknown keys are refused. Every model is immutable.
Rules that need more than one field or more than one document (dependency cycles,
duplicate addresses, ``${vars.NAME}``) live in ``validating``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

API_VERSION = "cogctl/v1"

FillStrategy = Literal["bestMatch", "firstMatch", "strict", "fuzzy"]
Scope = Literal["global", "conversation", "user", "session"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
AuthType = Literal["bearer", "api_key", "basic", "none"]
Normalize = Literal["none", "flatten", "map_keys"]

# A name usable in an address ``Kind/bot/name``: no slash, no whitespace at the ends.
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*[A-Za-z0-9_.\-]$|^[A-Za-z0-9_]$"
ENV_VAR_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Metadata(_Frozen):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=NAME_PATTERN)]
    bot: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]
    labels: dict[str, str] = Field(default_factory=dict)


class SecretRef(_Frozen):
    """A secret by reference only; its value is read from the environment at apply time."""

    fromEnv: Annotated[str, Field(pattern=ENV_VAR_PATTERN)]


class IntegrationAuth(_Frozen):
    type: AuthType = "none"
    headerName: str | None = None
    secret: SecretRef | None = None


class ResponseMapping(_Frozen):
    extract: str | None = None
    normalize: Normalize = "none"


class ProbeExpect(_Frozen):
    status: Annotated[int, Field(ge=100, le=599)] = 200
    keys: list[str] = Field(default_factory=list)


class IntegrationProbe(_Frozen):
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    expect: ProbeExpect = Field(default_factory=ProbeExpect)


class IntegrationSpec(_Frozen):
    description: str = ""
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    url: str
    method: HttpMethod = "GET"
    auth: IntegrationAuth = Field(default_factory=IntegrationAuth)
    headers: dict[str, str] = Field(default_factory=dict)
    requestMapping: dict[str, JsonValue] = Field(default_factory=dict)
    responseMapping: ResponseMapping = Field(default_factory=ResponseMapping)
    timeoutSeconds: Annotated[int, Field(ge=1, le=120)] = 30
    probe: IntegrationProbe | None = None


class SlotVerify(_Frozen):
    minExtractionRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.85
    maxRegression: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05


class SlotSpec(_Frozen):
    type: Literal["regex", "keyphrase"] = "regex"
    patterns: Annotated[list[str], Field(min_length=1)]
    fillStrategy: FillStrategy = "bestMatch"
    dependencies: list[str] = Field(default_factory=list)
    verify: SlotVerify = Field(default_factory=SlotVerify)


class ContextVariable(_Frozen):
    value: JsonValue
    scope: Scope = "global"


class ContextDefaultsSpec(_Frozen):
    variables: dict[str, ContextVariable] = Field(default_factory=dict)


class CaseExpect(_Frozen):
    intent: str | None = None
    entities: dict[str, JsonValue] = Field(default_factory=dict)
    nextFlow: str | None = None
    responseContains: str | None = None


class SimulationCase(_Frozen):
    id: Annotated[str, Field(pattern=r"^test_[A-Za-z0-9_]+$")]
    userId: Annotated[str, Field(pattern=r"^usr_[A-Za-z0-9]+$")]
    utterance: str
    context: dict[str, JsonValue] = Field(default_factory=dict)
    expect: CaseExpect = Field(default_factory=CaseExpect)


class SimulationSuiteSpec(_Frozen):
    expectedFlows: list[str] = Field(default_factory=list)
    minPassRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    cases: Annotated[list[SimulationCase], Field(min_length=1)]


class _Document(_Frozen):
    apiVersion: Literal["cogctl/v1"]
    metadata: Metadata

    @property
    def address(self) -> str:
        """``Kind/bot/name``: how plans, diagnostics and the audit log name an object."""
        kind: str = getattr(self, "kind")  # noqa: B009 - every subclass declares it
        return f"{kind}/{self.metadata.bot}/{self.metadata.name}"


class Integration(_Document):
    kind: Literal["Integration"]
    spec: IntegrationSpec


class Slot(_Document):
    kind: Literal["Slot"]
    spec: SlotSpec


class ContextDefaults(_Document):
    kind: Literal["ContextDefaults"]
    spec: ContextDefaultsSpec


class SimulationSuite(_Document):
    kind: Literal["SimulationSuite"]
    spec: SimulationSuiteSpec


Manifest = Annotated[
    Integration | Slot | ContextDefaults | SimulationSuite, Field(discriminator="kind")
]
KINDS: tuple[type[_Document], ...] = (Integration, Slot, ContextDefaults, SimulationSuite)


# --- the project file, cogctl.yaml ---------------------------------------------------------


class EmulatorTarget(_Frozen):
    """Run against the embedded emulator, seeded from ``fixture`` (relative to cogctl.yaml)."""

    fixture: str


class Environment(_Frozen):
    """One target: a tenant (``tenantUrl``) or the embedded emulator (``emulator``).

    ``bots`` maps logical bot names (``metadata.bot``) to this tenant's botIds; a logical
    name with no mapping is the botId itself. ``vars`` fill ``${vars.NAME}`` in manifests.
    """

    tenantUrl: Annotated[str, Field(pattern=r"^https?://[^\s/]+")] | None = None
    tokenUrl: str | None = None
    emulator: EmulatorTarget | None = None
    bots: dict[str, str] = Field(default_factory=dict)
    vars: dict[str, str] = Field(default_factory=dict)
    rateLimitPerMinute: Annotated[int, Field(ge=1)] | None = None


class ProjectConfig(_Frozen):
    environments: Annotated[dict[str, Environment], Field(min_length=1)]
    defaultEnvironment: str | None = None
