"""Domain errors every area raises, and the API turns into clear HTTP answers.

A domain error says what is wrong and where (``field``), in words a market
participant understands. Example::

    >>> raise InvalidInput("must be 4 characters, the first a letter", field="scid_choice_1")
    Traceback (most recent call last):
    ...
    gridmarket.errors.InvalidInput: scid_choice_1: must be 4 characters, the first a letter
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of errors a caller can act on; never a crash."""

    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule."""

    http_status = 422


class Conflict(DomainError):
    """The request is valid but the object's state does not allow it now."""

    http_status = 409


class NotFound(DomainError):
    """No such object (or not one the caller may see)."""

    http_status = 404
