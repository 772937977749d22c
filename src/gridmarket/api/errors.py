"""Domain errors become clear JSON answers: what is wrong and where."""

from __future__ import annotations

import dataclasses

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

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


def value_misfit_message(error: DataError) -> str:
    """What the database said of a value it cannot hold, in one line."""
    reason = str(error.orig).strip().splitlines()[0] if error.orig else "invalid value"
    return f"a value does not fit its field: {reason}"


def _data_error_response(_request: Request, error: Exception) -> JSONResponse:
    # A value the database cannot hold (an id beyond its integer range, a text longer than
    # its column) is bad input, not a server fault; nothing was written (rolled back).
    assert isinstance(error, DataError)
    return JSONResponse(status_code=422, content={"detail": value_misfit_message(error)})


def install_domain_errors(app: FastAPI) -> None:
    """Register the handlers that turn every :class:`DomainError` (and a value the database
    cannot hold) into JSON."""
    app.add_exception_handler(DomainError, _domain_error_response)
    app.add_exception_handler(DataError, _data_error_response)
