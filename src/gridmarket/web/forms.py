"""Reading posted forms and turning refusals into messages shown beside the form.

Parsing only: every rule about the values is the service layer's. A domain
error (or an access error that is about the input, such as a too-short
password) becomes a :class:`Problem` the page shows inline; access refusals
(403/404) are left to the error pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from gridmarket.access.errors import AccessConflict, InvalidAccessRequest
from gridmarket.errors import DomainError, InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """Why a form was refused, in the service's words, and the field it is about."""

    message: str
    field: str | None = None
    status_code: int = 422
    cause: DomainError | None = None
    """The service's refusal, for a page that shows more of it (e.g. every rejected row)."""


def attempt(session: Session, work: Callable[[], T]) -> T | Problem:
    """Run ``work`` and commit; on a refusal roll back and return the :class:`Problem`.

    Example::

        outcome = attempt(session, lambda: applications.start_review(session, p, 7, clock))
        if isinstance(outcome, Problem):
            return page_with(outcome)
    """
    try:
        result = work()
    except DomainError as error:
        session.rollback()
        return Problem(error.message, error.field, error.http_status, error)
    except InvalidAccessRequest as error:
        session.rollback()
        return Problem(error.detail, None, 422)
    except AccessConflict as error:
        session.rollback()
        return Problem(error.detail, None, 409)
    session.commit()
    return result


def text(form: FormData, name: str) -> str:
    """A text field, stripped; empty when absent."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput("enter a date as YYYY-MM-DD", field=field) from error


def parse_market_time(value: str, field: str, timezone: ZoneInfo) -> datetime:
    """A date and time typed in market time (a ``datetime-local`` input), as a UTC instant."""
    try:
        local = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidInput("enter a date and time as YYYY-MM-DD HH:MM", field=field) from error
    if local.tzinfo is not None:
        raise InvalidInput("enter the time in market time, without a time zone", field=field)
    return local.replace(tzinfo=timezone).astimezone(UTC)


def parse_decimal(value: str, field: str) -> Decimal:
    if not value:
        raise InvalidInput("enter an amount", field=field)
    try:
        return Decimal(value.replace(",", "").removeprefix("$"))
    except InvalidOperation as error:
        raise InvalidInput(f"{value!r} is not an amount", field=field) from error


def parse_int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise InvalidInput(f"{value!r} is not a whole number", field=field) from error


HOURS_IN_LONGEST_DAY = 25
"""Bounds a range of hours before the service checks it against the trade day."""


def parse_hours(value: str, field: str) -> list[int]:
    """Hours ending as people write them: ``14``, ``14, 15`` or ``14-16`` (the range included).

    Example::

        >>> parse_hours("3, 14-16", "hours")
        [3, 14, 15, 16]
    """
    hours: set[int] = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError as error:
            raise InvalidInput(f"{part!r} is not an hour ending or a range such as 14-16",
                               field=field) from error
        if high < low:
            raise InvalidInput(f"the range {part!r} ends before it starts", field=field)
        if high - low >= HOURS_IN_LONGEST_DAY:
            raise InvalidInput(f"the range {part!r} is longer than a day", field=field)
        hours.update(range(low, high + 1))
    if not hours:
        raise InvalidInput("name at least one hour ending", field=field)
    return sorted(hours)


def chosen_files(form: FormData, name: str) -> list[UploadFile]:
    """The files chosen in file input ``name`` (an empty input sends a nameless part)."""
    return [
        upload
        for upload in form.getlist(name)
        if isinstance(upload, UploadFile) and upload.filename
    ]


def read_upload(upload: UploadFile, limit_bytes: int) -> bytes:
    """The file's bytes, read to one byte past the limit: enough for the service to refuse it."""
    upload.file.seek(0)
    return upload.file.read(limit_bytes + 1)


_FRIENDLY = {
    "missing": "this field is required",
    "bool_parsing": "choose yes or no",
    "bool_type": "choose yes or no",
    "date_from_datetime_parsing": "enter a date as YYYY-MM-DD",
    "date_parsing": "enter a date as YYYY-MM-DD",
    "enum": "choose one of the options",
    "string_pattern_mismatch": "this is not in the expected form",
}


def _message(item: ErrorDetails) -> str:
    limits = item.get("ctx", {})
    if item["type"] == "string_too_short":
        if item.get("input") in ("", None):
            return _FRIENDLY["missing"]
        return f"enter at least {limits.get('min_length')} characters"
    if item["type"] == "string_too_long":
        return f"enter at most {limits.get('max_length')} characters"
    return _FRIENDLY.get(item["type"], item["msg"].removeprefix("Value error, "))


def validation_problems(error: ValidationError) -> dict[str, str]:
    """Field → message for a form model's validation errors (``form`` for whole-form ones).

    List items are named as the service names them, counting from 1: ``scid_choices[2]``.
    """
    problems: dict[str, str] = {}
    for item in error.errors():
        location = item["loc"]
        if not location:
            field = "form"
        elif len(location) > 1 and isinstance(location[1], int):
            field = f"{location[0]}[{location[1] + 1}]"
        else:
            field = str(location[0])
        problems.setdefault(field, _message(item))
    return problems
