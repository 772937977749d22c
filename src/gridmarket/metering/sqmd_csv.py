"""SQMD as a CSV file: one header line, then one record per line.

Columns (header names are case-insensitive; order free; ``SCID`` and
``INTERVAL_END_PT`` optional, ``UNIT`` defaults to MWh)::

    SCID,RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,UNIT,INTERVAL_MINUTES,INTERVAL_END_UTC,VALUE
    MPPA,LOAD_AREA1,LOAD,LOAD,MWh,60,2020-07-15T08:00:00Z,1203.25

A header with an unknown or missing column refuses the whole file (422): no
line could be read reliably. A line with the wrong number of cells is a
rejected record like any other (its row is reported, the others go on).
Rows are numbered from 1 in file order (blank lines skipped); the answer also
gives the file line.

Example::

    >>> records, lines = parse_sqmd_csv(
    ...     b"RESOURCE_ID,RESOURCE_TYPE,MEASUREMENT_TYPE,INTERVAL_MINUTES,INTERVAL_END_UTC,VALUE\\n"
    ...     b"G1,GENERATOR,GEN,5,2020-07-15T07:05:00Z,3.5\\n")
    >>> records[0]["measurement"], records[0]["value"], lines
    ('GEN', '3.5', [2])

:func:`submit_sqmd_csv` is the whole upload (size limit, reading, checking,
storing) that the API and the web page share.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gridmarket.access.principal import Principal
from gridmarket.clock import Clock
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.metering.sqmd import ROW_ERROR, SqmdResult, SqmdSubmission, submit_sqmd

COLUMNS = {
    "SCID": "scid",
    "RESOURCE_ID": "resource_id",
    "RESOURCE_TYPE": "resource_type",
    "MEASUREMENT_TYPE": "measurement",
    "MEASUREMENT": "measurement",
    "UNIT": "unit",
    "INTERVAL_MINUTES": "interval_minutes",
    "INTERVAL_LENGTH": "interval_minutes",
    "INTERVAL_END_UTC": "interval_end_utc",
    "INTERVAL_END_PT": "interval_end_pt",
    "VALUE": "value",
}
REQUIRED = frozenset(
    {"resource_id", "resource_type", "measurement", "interval_minutes", "interval_end_utc", "value"}
)


def parse_sqmd_csv(data: bytes) -> tuple[list[dict[str, Any]], list[int]]:
    """The records of an SQMD CSV file (as raw dicts) and the file line of each."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput("the file is not UTF-8 text", field="file") from error
    # newline="": a CR inside a quoted cell is data, and a stray one is the reader's to judge.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for cells in _cells(reader):
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = _header(cells)
            continue
        lines.append(line)
        if len(cells) != len(header):
            records.append({ROW_ERROR: f"line {line} has {len(cells)} cells, the header "
                                       f"{len(header)}"})
            continue
        records.append({name: cell.strip() for name, cell in zip(header, cells, strict=True)
                        if cell.strip() != ""})
    if header is None:
        raise InvalidInput("the file is empty: it needs a header line and records", field="file")
    return records, lines


def _cells(reader: Any) -> Iterator[list[str]]:
    """The reader's records; a file that is not readable as CSV is refused with its line."""
    try:
        yield from reader
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num or 1} is not readable as CSV: {error}",
                           field="file") from error


def _header(cells: list[str]) -> list[str]:
    names = []
    for cell in cells:
        key = cell.strip().upper()
        if key not in COLUMNS:
            raise InvalidInput(
                f"unknown column {cell.strip()!r}; expected {', '.join(COLUMNS)}", field="file"
            )
        names.append(COLUMNS[key])
    if len(set(names)) != len(names):
        raise InvalidInput("a column appears twice in the header", field="file")
    missing = REQUIRED - set(names)
    if missing:
        raise InvalidInput(f"missing column(s): {', '.join(sorted(missing))}", field="file")
    return names


def submit_sqmd_csv(
    session: Session, principal: Principal, scid: str, trade_date: date, data: bytes, *,
    parameters: MarketParameters, clock: Clock,
) -> SqmdResult:
    """Submit an uploaded SQMD CSV file, refused whole above ``access.upload_limit_bytes``.

    Pass at least one byte more than the limit when the file is larger, so the
    refusal can be told apart from a file exactly at the limit.

    Example::

        result = submit_sqmd_csv(session, trader, "MPPA", date(2020, 7, 15), data,
                                 parameters=params, clock=clock)
        result.submission.records_accepted, [r.line for r in result.rejected]
    """
    limit = parameters.access.upload_limit_bytes
    if len(data) > limit:
        raise InvalidInput(f"file exceeds the upload limit of {limit} bytes", field="file")
    records, lines = parse_sqmd_csv(data)
    submission = SqmdSubmission(scid=scid, trade_date=trade_date, records=records)
    return submit_sqmd(session, principal, submission, source_format="csv",
                       parameters=parameters, clock=clock, lines=lines)
