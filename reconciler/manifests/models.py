"""Manifest kinds as frozen pydantic models: the desired state, as users write it.

Field names are the manifest's camelCase keys (they are the public format, see
``shared/interfaces.md``); unknown keys are refused. Every model is immutable.
Every rule one document can decide on its own lives here, so that the JSON Schemas, the
loader and anyone building models in code share it. Rules that need more than one document
(dependencies between slots, duplicate addresses) and ``${vars.NAME}`` live in ``validating``.

A rule about a field below the one its validator runs on raises ``rules.violation(...)``,
whose ``ctx["at"]`` is the field path below the error's ``loc``, so the loader can point at
the exact line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
    model_validator,
)

from reconciler.manifests import projects, rules

API_VERSION = "cogctl/v1"

FillStrategy = Literal["bestMatch", "firstMatch", "strict", "fuzzy"]
Scope = Literal["global", "conversation", "user", "session"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
AuthType = Literal["bearer", "api_key", "basic", "none"]
Normalize = Literal["none", "flatten", "map_keys"]

# A name usable in an address ``Kind/bot/name``: no slash, no whitespace at the ends.
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*[A-Za-z0-9_.\-]$|^[A-Za-z0-9_]$"
BOT_PATTERN = projects.BOT_PATTERN
ENV_VAR_PATTERN = projects.ENV_VAR_PATTERN
CONTEXT_KEY_PATTERN = r"^[A-Za-z0-9_]+$"
MIN_INTEGRATION_NAME = 3
MAX_CONTEXT_VALUE_BYTES = 10 * 1024
MAX_CONTEXT_BYTES = 512 * 1024

# What apply keeps beside a bot's context defaults, counted against the 512 KB the platform
# allows: the applied entry (its name, applied hash and every managed key) and, while apply
# runs, the pending-retraining marker. Both shapes are defined here, once, and written by
# ``core.writebodies`` / ``core.retrainmarker``.
CONTEXT_APPLIED_KEY = "_cogctl_applied"
RETRAIN_MARKER_KEY = "_cogctl_retrain"
HASH_HEX_LENGTH = 64  # content hashes are hex SHA-256
MAX_JOB_ID_LENGTH = 128  # longest retraining job id the marker is sized for


def applied_entry(name: str, applied_hash: str, keys: list[str]) -> dict[str, JsonValue]:
    """The applied entry apply writes under ``CONTEXT_APPLIED_KEY``."""
    managed: list[JsonValue] = list(sorted(keys))
    return {"value": {"name": name, "hash": applied_hash, "keys": managed}, "scope": "global"}


def retrain_marker_entry(job_id: str | None) -> dict[str, JsonValue]:
    """The marker entry apply writes under ``RETRAIN_MARKER_KEY``."""
    return {"value": {"jobId": job_id}, "scope": "global"}


def stored_context(name: str, variables: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """The largest context apply stores for these variables: them, its applied entry, the marker."""
    return {
        **variables,
        CONTEXT_APPLIED_KEY: applied_entry(name, "0" * HASH_HEX_LENGTH, list(variables)),
        RETRAIN_MARKER_KEY: retrain_marker_entry("j" * MAX_JOB_ID_LENGTH),
    }


LabelKey = Annotated[
    str,
    Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_./\-]*$"),
    AfterValidator(rules.label_key),
]
Labels = dict[LabelKey, Annotated[str, Field(max_length=256)]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class Metadata(_Frozen):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=NAME_PATTERN)]
    bot: Annotated[str, Field(min_length=1, max_length=100, pattern=BOT_PATTERN)]
    labels: Labels = Field(default_factory=dict)


class SecretRef(_Frozen):
    """A secret by reference only; its value is read from the environment at apply time.

    The variable may not be one of the reconciler's or the CI's own (``rules.reserved_secret_env``).
    """

    fromEnv: Annotated[str, Field(pattern=ENV_VAR_PATTERN), AfterValidator(rules.check_secret_env)]


class IntegrationAuth(_Frozen):
    """How the integration authenticates: ``none`` takes no secret, every other type needs one."""

    type: AuthType = "none"
    headerName: Annotated[str, Field(pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z\-]+$")] | None = None
    secret: SecretRef | None = None

    @field_validator("secret", mode="before")
    @classmethod
    def _reference_only(cls, value: object) -> object:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            raise rules.violation(
                "a literal secret is refused; write secret: {fromEnv: NAME} and set NAME "
                "in the environment"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IntegrationAuth:
        if self.type == "none":
            if self.secret is not None:
                raise rules.violation(
                    "auth type none takes no secret; set type or drop secret", "secret"
                )
            if self.headerName is not None:
                raise rules.violation("auth type none takes no headerName", "headerName")
        elif self.secret is None:
            raise rules.violation(f"auth type {self.type} needs secret: {{fromEnv: NAME}}", "type")
        if self.type == "api_key" and self.headerName is None:
            raise rules.violation("auth type api_key needs headerName (e.g. X-API-Key)", "type")
        return self


class ResponseMapping(_Frozen):
    extract: Annotated[str, AfterValidator(rules.check_jmespath)] | None = None
    normalize: Normalize = "none"


class ProbeExpect(_Frozen):
    status: Annotated[int, Field(ge=100, le=599)] = 200
    keys: list[str] = Field(default_factory=list)


class IntegrationProbe(_Frozen):
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    expect: ProbeExpect = Field(default_factory=ProbeExpect)


class IntegrationSpec(_Frozen):
    """An external API the bot calls. No credential may appear as a literal value."""

    description: Annotated[str, Field(max_length=2000)] = ""
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"
    url: Annotated[str, AfterValidator(rules.check_url)]
    method: HttpMethod = "GET"
    auth: IntegrationAuth = Field(default_factory=IntegrationAuth)
    headers: dict[Annotated[str, Field(min_length=1)], str] = Field(default_factory=dict)
    requestMapping: dict[str, JsonValue] = Field(default_factory=dict)
    responseMapping: ResponseMapping = Field(default_factory=ResponseMapping)
    timeoutSeconds: Annotated[int, Field(ge=1, le=120)] = 30
    probe: IntegrationProbe | None = None

    @field_validator("headers")
    @classmethod
    def _no_literal_credential_header(cls, headers: dict[str, str]) -> dict[str, str]:
        for header, value in headers.items():
            reason = rules.literal_header_reason(header, value, None)
            if reason:
                raise rules.violation(reason, header)
        return headers

    @field_validator("requestMapping")
    @classmethod
    def _no_literal_credential(cls, mapping: dict[str, JsonValue]) -> dict[str, JsonValue]:
        found = rules.find_literal_secret(mapping)
        if found is not None:
            raise rules.violation(
                f"{found[-1]!r} looks like a literal credential; reference secrets "
                "with auth.secret: {fromEnv: NAME}",
                *found,
            )
        return mapping

    @model_validator(mode="after")
    def _rules(self) -> IntegrationSpec:
        if self.method == "GET" and "body" in self.requestMapping:
            raise rules.violation(
                "a GET request has no body; drop requestMapping.body or change method",
                "requestMapping",
                "body",
            )
        for header, value in self.headers.items():
            reason = rules.literal_header_reason(header, value, self.auth.headerName)
            if reason:
                raise rules.violation(reason, "headers", header)
        return self


class SlotVerify(_Frozen):
    """Thresholds: the tenant's measured extraction rate after apply (``minExtractionRate``,
    ``maxRegression``, the latter also for the plan's predicted drop), and the share of the
    slot's own examples that must pass in ``validate`` and ``cogctl test``."""

    minExtractionRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.85
    maxRegression: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    minExampleRate: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0


class SlotExample(_Frozen):
    """A labelled sentence: ``value`` is what the slot must extract from ``text``; ``None``
    (``value: null``) means nothing may be extracted from it."""

    text: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(rules.not_blank)]
    value: Annotated[str, Field(min_length=1, max_length=2000)] | None


class SlotSpec(_Frozen):
    """A slot's patterns (distinct, each safe on the platform's matcher) and dependencies."""

    type: Literal["regex", "keyphrase"] = "regex"
    patterns: Annotated[
        list[Annotated[str, AfterValidator(rules.safe_pattern)]], Field(min_length=1)
    ]
    fillStrategy: FillStrategy = "bestMatch"
    dependencies: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list)
    verify: SlotVerify = Field(default_factory=SlotVerify)
    examples: list[SlotExample] = Field(default_factory=list)

    @model_validator(mode="after")
    def _distinct(self) -> SlotSpec:
        for field in ("patterns", "dependencies"):
            duplicate = rules.first_duplicate(getattr(self, field))
            if duplicate is not None:
                raise rules.violation(f"{duplicate[1]!r} is listed twice", field, duplicate[0])
        duplicate = rules.first_duplicate([example.text for example in self.examples])
        if duplicate is not None:
            raise rules.violation(
                f"example text {duplicate[1]!r} is listed twice", "examples", duplicate[0], "text"
            )
        return self


class ContextVariable(_Frozen):
    value: JsonValue
    scope: Scope = "global"

    @model_validator(mode="after")
    def _small(self) -> ContextVariable:
        size = rules.json_size(self.value)
        if size > MAX_CONTEXT_VALUE_BYTES:
            raise rules.violation(
                f"value is {size} bytes as JSON; the platform allows at most "
                f"{MAX_CONTEXT_VALUE_BYTES} (10 KB)",
                "value",
            )
        return self


class ContextDefaultsSpec(_Frozen):
    """The variables; their size together with cogctl's applied hash is checked by
    ``ContextDefaults`` (its entry holds the document's name)."""

    variables: dict[
        Annotated[str, Field(pattern=CONTEXT_KEY_PATTERN, max_length=256)], ContextVariable
    ] = Field(default_factory=dict)


class CaseExpect(_Frozen):
    intent: str | None = None
    entities: dict[str, JsonValue] = Field(default_factory=dict)
    nextFlow: str | None = None
    responseContains: str | None = None


class SimulationCase(_Frozen):
    id: Annotated[str, Field(pattern=r"^test_[A-Za-z0-9_]+$")]
    userId: Annotated[str, Field(pattern=r"^usr_[A-Za-z0-9]+$")]
    utterance: Annotated[str, AfterValidator(rules.not_blank)]
    context: dict[str, JsonValue] = Field(default_factory=dict)
    expect: CaseExpect = Field(default_factory=CaseExpect)


class SimulationSuiteSpec(_Frozen):
    """Simulated conversations; case ids are unique within the suite."""

    expectedFlows: list[str] = Field(default_factory=list)
    minPassRate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    cases: Annotated[list[SimulationCase], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> SimulationSuiteSpec:
        duplicate = rules.first_duplicate([case.id for case in self.cases])
        if duplicate is not None:
            raise rules.violation(
                f"case id {duplicate[1]!r} is used twice", "cases", duplicate[0], "id"
            )
        duplicate = rules.first_duplicate(self.expectedFlows)
        if duplicate is not None:
            raise rules.violation(
                f"{duplicate[1]!r} is listed twice", "expectedFlows", duplicate[0]
            )
        return self


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

    @model_validator(mode="after")
    def _name_length(self) -> Integration:
        if len(self.metadata.name) < MIN_INTEGRATION_NAME:
            raise rules.violation(
                f"integration names have {MIN_INTEGRATION_NAME} to 100 characters "
                f"(the platform's rule), got {len(self.metadata.name)}",
                "metadata",
                "name",
            )
        return self


class Slot(_Document):
    kind: Literal["Slot"]
    spec: SlotSpec

    @model_validator(mode="after")
    def _not_self_dependent(self) -> Slot:
        if self.metadata.name in self.spec.dependencies:
            index = self.spec.dependencies.index(self.metadata.name)
            raise rules.violation(
                f"slot {self.metadata.name!r} cannot depend on itself",
                "spec",
                "dependencies",
                index,
            )
        return self


class ContextDefaults(_Document):
    kind: Literal["ContextDefaults"]
    spec: ContextDefaultsSpec

    @model_validator(mode="after")
    def _total(self) -> ContextDefaults:
        """The context apply stores (variables, applied entry, marker) fits the platform's limit."""
        whole = {key: var.model_dump(mode="json") for key, var in self.spec.variables.items()}
        size = rules.json_size(whole)
        stored = rules.json_size(stored_context(self.metadata.name, whole))
        if stored > MAX_CONTEXT_BYTES:
            raise rules.violation(
                f"the whole context is {stored} bytes as JSON ({size} of variables, "
                f"{stored - size} of cogctl's applied hash and retraining marker); the platform "
                f"allows at most {MAX_CONTEXT_BYTES} (512 KB)",
                "spec",
                "variables",
            )
        return self


class SimulationSuite(_Document):
    kind: Literal["SimulationSuite"]
    spec: SimulationSuiteSpec


Manifest = Annotated[
    Integration | Slot | ContextDefaults | SimulationSuite, Field(discriminator="kind")
]
KINDS: tuple[type[_Document], ...] = (Integration, Slot, ContextDefaults, SimulationSuite)
KIND_BY_NAME: Mapping[str, type[_Document]] = {kind.__name__: kind for kind in KINDS}


# --- the project file, cogctl.yaml: its models live in ``projects``, named here too ---------

EmulatorTarget = projects.EmulatorTarget
SecretPolicy = projects.SecretPolicy
Environment = projects.Environment
ProjectConfig = projects.ProjectConfig


def validate_document(data: Mapping[str, Any], *, strict: bool = True) -> _Document:
    """Validate one parsed document as the kind it names; raises pydantic's ValidationError.

    The caller has checked that ``data["kind"]`` is one of ``KIND_BY_NAME``.
    """
    return KIND_BY_NAME[data["kind"]].model_validate(data, strict=strict)
