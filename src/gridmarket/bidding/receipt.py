"""First validation stage: bytes in, a :class:`BidSet` out, or Rejected with every problem."""

from __future__ import annotations

import hashlib

from pydantic import ValidationError

from gridmarket.bidding.formats.csv_format import parse_csv
from gridmarket.bidding.formats.errors import BidFileError, BidProblem
from gridmarket.bidding.formats.xml_format import parse_xml
from gridmarket.bidding.schema import BidSet

PARSERS = {"json": lambda data: parse_json(data), "csv": parse_csv, "xml": parse_xml}


def body_digest(data: bytes) -> str:
    """SHA-256 of the body as received: what an idempotency key is bound to."""
    return hashlib.sha256(data).hexdigest()


def parse_json(data: bytes) -> BidSet:
    """Parse a JSON bid set; a bad one raises :class:`BidFileError` naming each JSON path.

    Example::

        >>> parse_json(b'{"scid": "DTGA"}')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        gridmarket.bidding.formats.errors.BidFileError: the JSON bid file has 3 problems: ...
    """
    try:
        return BidSet.model_validate_json(data)
    except ValidationError as error:
        raise BidFileError([
            BidProblem(_json_path(detail["loc"]) or "(body)", detail["msg"])
            for detail in error.errors(include_url=False)
        ], file_format="JSON") from None


def parse_bid_file(data: bytes, file_format: str) -> BidSet:
    """Parse ``data`` as ``json``, ``csv`` or ``xml``."""
    parser = PARSERS.get(file_format)
    if parser is None:
        raise BidFileError([BidProblem("format", f"unknown bid file format {file_format!r}; "
                                                 "expected json, csv or xml")],
                           file_format=file_format.upper())
    return parser(data)


def _json_path(loc: tuple[int | str, ...]) -> str:
    # Drop the discriminator tag pydantic inserts ("bids.0.ENERGY.hours").
    parts = [p for p in loc if p not in {"ENERGY", "ANCILLARY", "VIRTUAL", "TRADE"}]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
