"""Domain errors become clear JSON answers: what is wrong and where."""

from __future__ import annotations

import dataclasses

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gridmarket.errors import DomainError


def _domain_error_response(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    body: dict[str, object] = {"detail": error.message}
    if error.field:
        body["field"] = error.field
    problems = getattr(error, "problems", None)
    if problems:
        # Every problem of a rejected submission, each saying where and what.
        body["problems"] = [dataclasses.asdict(problem) for problem in problems]
    return JSONResponse(status_code=error.http_status, content=body)


def install_domain_errors(app: FastAPI) -> None:
    """Register the handler that turns every :class:`DomainError` into JSON."""
    app.add_exception_handler(DomainError, _domain_error_response)
