"""What a failed command shows besides its error line: the JSON error document.

Under ``--output json`` a failure still prints one JSON document on stdout, so a script
reading it never parses an error line: ``{"error": {"message", "exitCode", "type", "hint"?,
"diagnostics"?}}``. Our own errors give their message without the ``error:`` prefix and their
hint; a problem list (validation) comes as the diagnostics' own JSON.
"""

from __future__ import annotations

from typing import Any

from reconciler import errors


def error_document(exc: BaseException, code: int, message: str) -> dict[str, Any]:
    """The document for ``exc``, which ends the command with ``code`` and says ``message``."""
    body: dict[str, Any] = {"message": message, "exitCode": code, "type": type(exc).__name__}
    if isinstance(exc, errors.CogctlError):
        body["message"] = exc.message
        if exc.hint:
            body["hint"] = exc.hint
    diagnostics = getattr(exc, "diagnostics", None)
    if diagnostics:
        body["diagnostics"] = [d.to_json() for d in diagnostics]
    return {"error": body}
