"""What is wrong with an uploaded bid file, and where: shared by the CSV and XML formats.

Both formats turn a file into a *draft* — plain dicts and lists in the shape of
:class:`~gridmarket.bidding.schema.BidSet` — while noting in :class:`Origins`
where each part of the draft came from. :func:`validate_draft` then lets the
schema do every check it already does, and translates each pydantic error
location (``bids.3.hours.0.segments.2.price``) back to the file (``line 17,
column price``, or ``/BidSet/EnergyBid[2]/Hour[1]/Segment[3]/@price (line
17)``). Problems found while reading the file itself (bad bytes, unknown
columns, numbers that are not numbers) are collected the same way, so an SC
gets one list of everything wrong.

Example::

    >>> problem = BidProblem("line 5, column mw", "'ten' is not a number", line=5)
    >>> str(BidFileError([problem], file_format="CSV"))
    "the CSV bid file has 1 problem: line 5, column mw: 'ten' is not a number"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from gridmarket.bidding.schema import BidKind, BidSet
from gridmarket.errors import InvalidInput

Loc = tuple[str | int, ...]
"""A position inside a draft bid set, as pydantic reports it (``("bids", 0, "hours")``)."""

PROBLEMS_IN_MESSAGE = 20
"""How many problems the error message spells out; all are kept in ``problems``."""

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class BidProblem:
    """One thing wrong with a bid file: where it is and what is wrong.

    Example::

        >>> str(BidProblem("/BidSet/@market (line 1)", "Input should be 'DAM' or 'RTM'", line=1))
        "/BidSet/@market (line 1): Input should be 'DAM' or 'RTM'"
    """

    where: str
    """``line 5, column mw`` (CSV) or ``/BidSet/EnergyBid[2]/Hour[3]/@price (line 14)`` (XML)."""
    message: str
    line: int | None = None
    """The line of the file (1-based), when known."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class BidFileError(InvalidInput):
    """An uploaded bid file that cannot become a bid set; nothing of it is stored.

    Example::

        >>> problem = BidProblem("line 1", "the file is empty", line=1)
        >>> error = BidFileError([problem], file_format="XML")
        >>> error.problems[0].message
        'the file is empty'
    """

    def __init__(self, problems: Sequence[BidProblem], *, file_format: str) -> None:
        if not problems:
            raise ValueError("a BidFileError needs at least one problem")
        self.problems = list(problems)
        self.file_format = file_format
        super().__init__(_summary(self.problems, file_format))


def _summary(problems: list[BidProblem], file_format: str) -> str:
    count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    listed = "; ".join(str(problem) for problem in problems[:PROBLEMS_IN_MESSAGE])
    more = len(problems) - PROBLEMS_IN_MESSAGE
    tail = f"; and {more} more" if more > 0 else ""
    return f"the {file_format} bid file has {count}: {listed}{tail}"


class Place(Protocol):
    """A spot in a file that a part of the draft came from."""

    @property
    def line(self) -> int | None: ...

    @property
    def where(self) -> str:
        """The spot in words, e.g. ``line 5, column mw``."""
        ...

    def refined(self, field: str) -> Place:
        """The spot of ``field`` of the draft part found here (e.g. a missing attribute)."""
        ...


class Source(Protocol):
    """A part of a file (a CSV row, an XML element) that can name a place in it."""

    def place(self, detail: str | None = None) -> Place:
        """The place of this part, or of its ``detail`` (a column, an attribute)."""
        ...


class Origins:
    """Where each part of a draft bid set came from, by its pydantic location.

    A location with no place of its own is placed at its nearest noted
    ancestor, refined by the first field name below it. Places are only
    worked out when asked for: a file without errors never needs them.

    Example::

        >>> from gridmarket.bidding.formats.csv_format import CsvPlace
        >>> origins = Origins(CsvPlace(1))
        >>> origins.note(("bids", 0), CsvPlace(2))
        >>> origins.place_of(("bids", 0, "hours", 3)).where
        'line 2, column hour'
    """

    def __init__(self, root: Source, *, recording: bool = True) -> None:
        self._sources: dict[Loc, tuple[Source, str | None]] = {(): (root, None)}
        self._recording = recording

    @classmethod
    def unrecorded(cls, root: Source) -> Origins:
        """Origins that note nothing: the fast first pass, when no error is expected."""
        return cls(root, recording=False)

    def note(self, loc: Loc, source: Source, detail: str | None = None) -> None:
        """Remember that the draft part at ``loc`` came from ``source`` (its ``detail``)."""
        if self._recording:
            self._sources[loc] = (source, detail)

    def place_of(self, loc: Loc) -> Place:
        """The place of the draft part at ``loc``, or of its nearest noted ancestor."""
        for length in range(len(loc), -1, -1):
            noted = self._sources.get(loc[:length])
            if noted is not None:
                source, detail = noted
                place = source.place(detail)
                below = loc[length:]
                return place.refined(below[0]) if below and isinstance(below[0], str) else place
        raise AssertionError("the root is always noted")


def validate_draft(
    draft: dict[str, Any], origins_of: Callable[[], Origins], *, file_format: str
) -> BidSet:
    """The bid set a draft describes, or a :class:`BidFileError` placing each schema error.

    ``origins_of`` drafts the file again, noting where each part came from; it
    is only called when the schema finds an error, so a good file is read once.

    Example::

        >>> from gridmarket.bidding.formats.csv_format import CsvPlace
        >>> def origins_of() -> Origins:
        ...     origins = Origins(CsvPlace(1))
        ...     origins.note(("market",), CsvPlace(2), "market")
        ...     return origins
        >>> validate_draft({"scid": "DTGA", "market": "DAX", "trade_date": "2020-07-15",
        ...                 "bids": []}, origins_of, file_format="CSV")
        Traceback (most recent call last):
        ...
        gridmarket.bidding.formats.errors.BidFileError: the CSV bid file has 2 problems: \
line 2, column market: Input should be 'DAM' or 'RTM'; line 1, column bids: \
List should have at least 1 item after validation, not 0
    """
    try:
        return BidSet.model_validate(draft)
    except ValidationError as error:
        origins = origins_of()
        problems = [_placed(detail, origins) for detail in error.errors(include_url=False)]
        raise BidFileError(problems, file_format=file_format) from None


def _placed(detail: ErrorDetails, origins: Origins) -> BidProblem:
    place = origins.place_of(_without_kind_tag(tuple(detail["loc"])))
    return BidProblem(place.where, _readable(detail), line=place.line)


def _without_kind_tag(loc: Loc) -> Loc:
    """Drop the ``ENERGY`` that pydantic inserts after ``bids.N`` for the bid union."""
    kinds = {kind.value for kind in BidKind}
    if len(loc) > 2 and loc[0] == "bids" and loc[2] in kinds:
        return loc[:2] + loc[3:]
    return loc


def _readable(detail: ErrorDetails) -> str:
    if detail["type"] == "missing":
        return "a value is required"
    return str(detail["msg"]).removeprefix("Value error, ")


def read_decimal(text: str) -> Decimal | None:
    """The number written in ``text`` (plain or exponent notation), or None if it is not one.

    Example::

        >>> read_decimal(" 25.50 "), read_decimal("1e3"), read_decimal("1_000")
        (Decimal('25.50'), Decimal('1E+3'), None)
    """
    stripped = text.strip()
    return Decimal(stripped) if _NUMBER.fullmatch(stripped) else None


def read_integer(text: str) -> int | None:
    """The whole number written in ``text``, or None if it is not one.

    Example::

        >>> read_integer("24"), read_integer("2.5")
        (24, None)
    """
    stripped = text.strip()
    return int(stripped) if _INTEGER.fullmatch(stripped) else None


def not_a_number(text: str, *, whole: bool = False) -> str:
    """The message for a value that should have been a number.

    Example::

        >>> not_a_number("ten")
        "'ten' is not a number"
    """
    return f"{text!r} is not a {'whole ' if whole else ''}number"


def format_decimal(value: Decimal) -> str:
    """A decimal in plain notation, as both formats write numbers.

    Example::

        >>> format_decimal(Decimal("1E+3")), format_decimal(Decimal("25.500000"))
        ('1000', '25.5')
    """
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
