"""Our flask-smorest ``Api``: every error, of any origin, leaves as a FHIR OperationOutcome.

flask-smorest's own error body is not FHIR and webargs answers 422 where FHIR wants 400; both
are fixed here once, so no view ever formats an error. A database that is unreachable or
cancelled a statement answers 503 with ``Retry-After``: the pool recovers by itself when the
database is back.
"""

from __future__ import annotations

import logging

import orjson
import sqlalchemy as sa
from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from registry.errors import Issue, RegistryError, error, operation_outcome, status_of
from registry.storage.database import is_conflict, is_timeout, is_unavailable

FHIR_JSON = "application/fhir+json; charset=utf-8"
log = logging.getLogger(__name__)

HTTP_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                    405: "not-supported", 406: "not-supported", 413: "too-costly",
                    415: "not-supported", 422: "invalid", 429: "throttled"}


def outcome_response(status: int, issues: list[Issue], headers: dict[str, str] | None = None
                     ) -> Response:
    body = orjson.dumps(operation_outcome(issues))
    response = Response(body, status=status, content_type=FHIR_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class FhirApi(Api):  # type: ignore[misc]  # flask-smorest ships no types: Api is Any
    """flask-smorest Api whose error handler renders OperationOutcomes."""

    # Errors are documented per view as OperationOutcomes (registry.http.openapi), not as
    # flask-smorest's own error body.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        app: Flask = self._app
        app.register_error_handler(HTTPException, self.handle_http_exception)
        app.register_error_handler(RegistryError, handle_registry_error)
        app.register_error_handler(sa.exc.DBAPIError, handle_database_error)
        app.register_error_handler(sa.exc.TimeoutError, handle_database_error)
        app.register_error_handler(Exception, handle_unexpected)

    def handle_http_exception(self, exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 422:  # webargs validation failures are bad requests in FHIR
            status = 400
        message = _http_message(exc, status)
        headers = dict(exc.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        return outcome_response(status, [error(HTTP_ISSUE_CODES.get(status, "exception"),
                                               message)], headers)


def _http_message(exc: HTTPException, status: int) -> str:
    if status == 413:
        return "The request body is larger than this server accepts"
    if status == 404:
        return "No such endpoint on this server"
    if status == 405:
        return "This interaction is not supported on this endpoint"
    messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if messages:
        return f"Invalid request parameters: {sorted(_flatten(messages))}"
    return exc.description or exc.name


def _flatten(messages: object) -> set[str]:
    if isinstance(messages, dict):
        return {str(k) for k in messages} | set().union(*(_flatten(v) for v in messages.values()))
    return set()


def handle_registry_error(exc: RegistryError) -> Response:
    return outcome_response(status_of(exc), exc.issues, exc.headers)


def handle_database_error(exc: sa.exc.SQLAlchemyError) -> Response:
    """503 for a statement cancelled by the time-out or a database out of reach; anything
    else the database refused is a failure of ours (500), logged without its parameters."""
    if is_timeout(exc):
        log.warning("a request was cancelled by the statement time-out: %s %s",
                    request.method, request.path)
        return outcome_response(503, [error("timeout", "The request took longer than this "
                                            "server allows; narrow the search or page it")],
                                {"Retry-After": "1"})
    if is_conflict(exc):
        return outcome_response(409, [error("conflict", "Another request changed the same "
                                            "resource at the same time; retry")],
                                {"Retry-After": "1"})
    if is_unavailable(exc):
        log.error("database unavailable while handling %s %s: %s", request.method,
                  request.path, type(getattr(exc, "orig", exc)).__name__)
        return outcome_response(503, [error("transient", "The database is unavailable; "
                                            "retry shortly")], {"Retry-After": "5"})
    log.error("database error while handling %s %s", request.method, request.path,
              exc_info=exc)
    return outcome_response(500, [error("exception", "Internal server error")])


def handle_unexpected(exc: Exception) -> Response:
    """Log the failure and answer 500 without leaking internals."""
    if isinstance(exc, HTTPException):
        raise exc
    log.exception("unexpected error while handling a request")
    return outcome_response(500, [error("exception", "Internal server error")])
