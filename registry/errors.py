"""Domain errors that carry FHIR issues.

Services raise these; the HTTP layer turns each into an OperationOutcome with the
status from ``STATUS_BY_ERROR`` (one table, one place). The CLI prints the first
issue's diagnostics as a one-line message.

    RegistryError
     ├── InvalidRequest        400  malformed body, bad parameter
     ├── NotAuthenticated      401
     ├── Forbidden             403
     ├── NotFound              404
     ├── MethodNotAllowed      405
     ├── NotAcceptable         406
     ├── Conflict              409
     ├── Gone                  410  deleted resource
     ├── PreconditionFailed    412  If-Match / conditional ambiguity
     ├── PayloadTooLarge       413
     ├── UnsupportedMediaType  415
     ├── Unprocessable         422  profile / business rule / de-identification refusal
     ├── TooManyRequests       429
     ├── UriTooLong            414
     └── HeadersTooLarge       431
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue: what went wrong and where (a FHIRPath expression)."""

    severity: str  # fatal | error | warning | information
    code: str  # IssueType code: invalid, structure, required, value, not-found, ...
    diagnostics: str
    expression: tuple[str, ...] = ()

    def to_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


def error(code: str, diagnostics: str, *expression: str) -> Issue:
    """An error-severity issue, the common case."""
    return Issue("error", code, diagnostics, tuple(expression))


def information(code: str, diagnostics: str, *expression: str) -> Issue:
    return Issue("information", code, diagnostics, tuple(expression))


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.to_fhir() for i in issues]}


class RegistryError(Exception):
    """Base of every error a service raises on purpose."""

    default_code = "exception"

    def __init__(self, diagnostics: str | Issue | list[Issue], *expression: str,
                 headers: dict[str, str] | None = None) -> None:
        if isinstance(diagnostics, Issue):
            issues = [diagnostics]
        elif isinstance(diagnostics, list):
            issues = diagnostics
        else:
            issues = [error(self.default_code, diagnostics, *expression)]
        super().__init__(issues[0].diagnostics if issues else type(self).__name__)
        self.issues = issues
        self.headers = headers or {}

    def __str__(self) -> str:
        return "; ".join(i.diagnostics for i in self.issues) or type(self).__name__


class InvalidRequest(RegistryError):
    default_code = "invalid"


class NotAuthenticated(RegistryError):
    default_code = "login"


class Forbidden(RegistryError):
    default_code = "forbidden"


class NotFound(RegistryError):
    default_code = "not-found"


class MethodNotAllowed(RegistryError):
    default_code = "not-supported"


class NotAcceptable(RegistryError):
    default_code = "not-supported"


class Conflict(RegistryError):
    default_code = "conflict"


class Gone(RegistryError):
    default_code = "deleted"


class PreconditionFailed(RegistryError):
    default_code = "conflict"


class PayloadTooLarge(RegistryError):
    default_code = "too-costly"


class UnsupportedMediaType(RegistryError):
    default_code = "not-supported"


class Unprocessable(RegistryError):
    default_code = "processing"


class TooManyRequests(RegistryError):
    default_code = "throttled"


class UriTooLong(RegistryError):
    default_code = "too-costly"


class HeadersTooLarge(RegistryError):
    default_code = "too-costly"


STATUS_BY_ERROR: dict[type[RegistryError], int] = {
    InvalidRequest: 400,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    MethodNotAllowed: 405,
    NotAcceptable: 406,
    Conflict: 409,
    Gone: 410,
    PreconditionFailed: 412,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    Unprocessable: 422,
    TooManyRequests: 429,
    UriTooLong: 414,
    HeadersTooLarge: 431,
}


def status_of(exc: RegistryError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500
