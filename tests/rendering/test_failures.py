"""The JSON error document under ``--output json``, and the annotations of diagnostics."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.manifests import loading
from reconciler.rendering import actions, failures

PROBLEM = loading.Diagnostic("m/slots.yaml", 3, 5, "Slot/b/s", "spec.patterns: empty")
BARE = loading.Diagnostic("cogctl.yaml", 1, 1, None, "no environments")


@pytest.mark.parametrize(
    ("exc", "code", "message", "document"),
    [
        (ValueError("boom"), 70, "internal error: ValueError: boom",
         {"message": "internal error: ValueError: boom", "exitCode": 70, "type": "ValueError"}),
        (errors.ConfigError("no tenant", hint="set COGNIGY_TENANT_URL"), 1, "error: no tenant",
         {"message": "no tenant", "exitCode": 1, "type": "ConfigError",
          "hint": "set COGNIGY_TENANT_URL"}),
        (errors.ConfigError("no tenant"), 1, "error: no tenant",
         {"message": "no tenant", "exitCode": 1, "type": "ConfigError"}),
        (errors.ManifestError("2 problems", diagnostics=[PROBLEM, BARE]), 1, "error: x",
         {"message": "2 problems", "exitCode": 1, "type": "ManifestError",
          "diagnostics": [PROBLEM.to_json(), BARE.to_json()]}),
    ],
)
def test_error_document(
    exc: BaseException, code: int, message: str, document: dict[str, Any]
) -> None:
    assert failures.error_document(exc, code, message) == {"error": document}


def test_diagnostic_annotations_name_the_place_and_the_object() -> None:
    assert actions.diagnostic_annotations([PROBLEM, BARE]) == [
        "::error file=m/slots.yaml,line=3,col=5,title=cogctl::Slot/b/s: spec.patterns: empty",
        "::error file=cogctl.yaml,line=1,col=1,title=cogctl::no environments",
    ]
    assert actions.diagnostic_annotations([]) == []
