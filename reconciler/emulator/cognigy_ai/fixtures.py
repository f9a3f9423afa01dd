"""The fixture format: a YAML description of a Cognigy.AI tenant.

Top level ``settings`` (``records.Settings``), ``apiKeys [{key, userId}]`` (the first key is
the one the example project uses), ``users`` (optional names and e-mails of those users) and
``projects``; each project has ``locales``, ``flows`` (with ``context``, ``intents`` with
example sentences and the flow's ``response``, labelled ``utterances`` for slot checks and,
optionally, live ``slotFillers`` to seed), ``sessions`` and ``profiles``. Ids are optional
(24 hex digits); missing ones are derived deterministically. A fixture in the wrong shape
is a ``ConfigError`` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from reconciler import errors
from reconciler.emulator.cognigy_ai import records
from reconciler.emulator.platform import fixtures as platform_fixtures

MONGO_ID = r"^[0-9a-f]{24}$"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ApiKeySpec(_Spec):
    key: str = Field(min_length=1)
    userId: str = Field(pattern=MONGO_ID)


class UserSpec(_Spec):
    id: str = Field(alias="_id", pattern=MONGO_ID)
    name: str = ""
    email: str = ""


class LocaleSpec(_Spec):
    id: str | None = Field(default=None, alias="_id", pattern=MONGO_ID)
    name: str = Field(min_length=1)
    nluLanguage: str = "en-US"
    primary: bool = False


class IntentSpec(_Spec):
    name: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(default_factory=list)
    response: str = ""


class UtteranceSpec(_Spec):
    text: str
    slots: dict[str, str] = Field(default_factory=dict)


class FlowSpec(_Spec):
    id: str | None = Field(default=None, alias="_id", pattern=MONGO_ID)
    name: str = Field(min_length=1)
    description: str = ""
    context: dict[str, JsonValue] = Field(default_factory=dict)
    intents: list[IntentSpec] = Field(default_factory=list)
    utterances: list[UtteranceSpec] = Field(default_factory=list)
    slotFillers: list[dict[str, JsonValue]] = Field(default_factory=list)


class SessionSpec(_Spec):
    sessionId: str = Field(min_length=1)
    userId: str = ""
    context: dict[str, JsonValue] = Field(default_factory=dict)


class ProfileSpec(_Spec):
    id: str | None = Field(default=None, alias="_id", pattern=MONGO_ID)
    contactIds: list[str] = Field(default_factory=list)
    profile: dict[str, JsonValue] = Field(default_factory=dict)


class ProjectSpec(_Spec):
    id: str | None = Field(default=None, alias="_id", pattern=MONGO_ID)
    name: str = Field(min_length=1)
    locales: list[LocaleSpec] = Field(default_factory=lambda: [LocaleSpec(name="en-US",
                                                                          primary=True)])
    flows: list[FlowSpec] = Field(default_factory=list)
    sessions: list[SessionSpec] = Field(default_factory=list)
    profiles: list[ProfileSpec] = Field(default_factory=list)


class Fixture(_Spec):
    settings: records.Settings = Field(default_factory=records.Settings)
    apiKeys: list[ApiKeySpec] = Field(min_length=1)
    users: list[UserSpec] = Field(default_factory=list)
    projects: list[ProjectSpec] = Field(default_factory=list)


def read(path: Path) -> Fixture:
    """Parse and validate a fixture file, read within the same bounds as the Platform
    emulator's (a regular file, size, depth, aliases, finite numbers)."""
    data = platform_fixtures.read_document(path)
    try:
        return Fixture.model_validate(data if data is not None else {})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise errors.ConfigError(f"{path}: {field}: {err['msg']}") from None
