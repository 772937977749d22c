"""The error answers of every operation, written into the OpenAPI schema.

Every refusal has one body: ``{"detail": "...", "field": "...", "problems": [...]}``
(``field`` and ``problems`` when known), from domain errors, access errors and
``HTTPException``. FastAPI's own request validation answers 422 with a list of
errors in ``detail`` instead, so a 422 is documented as either.

Which errors an operation documents follows from what its schema says it is:
one behind authentication (``security``) may answer 401, 403 and 404 (another
SC's object is answered as a missing one); one that changes something may
find the object in a state that refuses it (409) or a body it cannot read
(400); one with input may answer 422; one with a path parameter, 404.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel


class ProblemOut(BaseModel):
    """One thing wrong with an uploaded file: where, what, and the line when known."""

    where: str
    message: str
    line: int | None = None


class ErrorOut(BaseModel):
    """What is wrong (``detail``), the field at fault, and each problem of a rejected file."""

    detail: str
    field: str | None = None
    problems: list[ProblemOut] | None = None


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
VALIDATION_REF = {"$ref": "#/components/schemas/HTTPValidationError"}
DESCRIPTIONS = {
    400: "The body could not be read (not UTF-8, not JSON)",
    401: "No valid credential: log in, or send 'Authorization: Bearer <API token>'",
    403: "Your roles do not allow this",
    404: "No such object, or not one you may see",
    409: "The object's state does not allow this now",
    422: "Invalid input: the rule broken and the field at fault, or FastAPI's list of errors",
    429: "Too many failed attempts: try again after Retry-After seconds",
}
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's error answers (and the error body's schema) to ``openapi``."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    for operations in openapi.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses if int(status) in DESCRIPTIONS}
            for status in _error_statuses(method.upper(), operation) | declared:
                responses[str(status)] = _error_response(status, responses.get(str(status)))
    return openapi


def _error_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    statuses = set()
    if parameters or operation.get("requestBody") or method in CHANGES:
        statuses.add(422)
    if operation.get("security"):
        statuses |= {401, 403, 404}
    if method in CHANGES:
        statuses |= {400, 409}
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    return statuses


def _error_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    """The error body; a 422 may also be FastAPI's validation errors."""
    schema = {"anyOf": [ERROR_REF, VALIDATION_REF]} if status == 422 else ERROR_REF
    declared = declared or {}
    # A route's own description stays; FastAPI's default (the status phrase) gives way.
    description = declared.get("description")
    if description in (None, HTTPStatus(status).phrase):
        description = DESCRIPTIONS[status]
    return {**declared, "description": description,
            "content": {"application/json": {"schema": schema}}}
