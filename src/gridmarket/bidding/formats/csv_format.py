"""Bid sets as CSV: one row per bid, hour and segment (or ancillary offer).

The layout (documented for SCs in ``docs/bid-formats.md``): UTF-8 (a byte
order mark is fine), comma separated, quoted as usual, a header line first.
Column names are the JSON field names; header names are matched without case
and surrounding spaces, in any order. Only ``scid``, ``market``,
``trade_date``, ``kind`` and ``hour`` must be present; a missing optional
column reads as empty.

====================  =========================================================
column                meaning
====================  =========================================================
bid                   optional label: only needed for two bids on one key
scid                  the same on every row: one file is one bid set
market                ``DAM`` or ``RTM``, the same on every row
trade_date            ``YYYY-MM-DD``, the same on every row
kind                  ``ENERGY``, ``ANCILLARY``, ``VIRTUAL`` or ``TRADE``
resource              ENERGY, ANCILLARY: the resource ID
location              VIRTUAL, TRADE: the pricing or aggregated node
cost_basis            ENERGY: ``REGISTERED`` (if empty) or ``PROXY``
side                  VIRTUAL: ``SUPPLY`` or ``DEMAND``
counterparty          TRADE: the other SC's SCID
product               ANCILLARY: the offer's product; TRADE: the traded product
direction             TRADE: ``SELL`` or ``BUY``
hour                  the hour ending, 1..25
self_schedule_mw      ENERGY: the hour's self-schedule, with ``self_schedule_type``
self_schedule_type    ENERGY: ``LPT``, ``PT``, ``RMT``, ``ETC_TOR`` or ``RMR``
segment               ENERGY, VIRTUAL: segment number, orders the breakpoints
mw                    segment breakpoint, offer MW, or the trade's MW
price                 segment or offer price
====================  =========================================================

Rows are one bid when they have the same ``kind``, the same key columns of that
kind (ENERGY, ANCILLARY: ``resource``; VIRTUAL: ``location``, ``side``; TRADE:
``counterparty``, ``location``, ``product``, ``direction``) and the same
``bid`` label; they need not be next to each other. Bids are numbered in the
order their first rows appear. A cell in a column the row's kind does not use
must be empty. Within a bid, rows of one hour together give the hour:

* ENERGY: each row with a ``segment`` number is a segment (``mw``, ``price``);
  the self-schedule may be written on any or every row of the hour, but must
  agree; a row with no segment carries only the self-schedule.
* VIRTUAL: each row is a segment, ordered by ``segment``.
* ANCILLARY: each row is one offer (``product``, ``mw``, ``price``), in file order.
* TRADE: one row per hour (``mw``).

Identifiers and codes are taken exactly as written; numbers may have spaces
around them and be written plainly (``25.5``) or with an exponent (``1e3``).

Example::

    >>> bid_set = parse_csv(
    ...     b"scid,market,trade_date,kind,resource,hour,segment,mw,price\\n"
    ...     b"DTGA,DAM,2020-07-15,ENERGY,101_STEAM_3,1,1,40,25.5\\n"
    ...     b"DTGA,DAM,2020-07-15,ENERGY,101_STEAM_3,1,2,76,30\\n")
    >>> [segment.mw for segment in bid_set.bids[0].hours[0].segments]
    [Decimal('40'), Decimal('76')]
    >>> parse_csv(render_csv(bid_set)) == bid_set
    True
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from gridmarket.bidding.formats.errors import (
    BidFileError,
    BidProblem,
    Loc,
    Origins,
    Place,
    format_decimal,
    not_a_number,
    read_decimal,
    read_integer,
    validate_draft,
)
from gridmarket.bidding.schema import (
    AncillaryBid,
    BidKind,
    BidSet,
    EnergyBid,
    TradeBid,
    VirtualBid,
)

FORMAT = "CSV"

SET_COLUMNS = ("scid", "market", "trade_date")
COLUMNS = (
    "bid",
    *SET_COLUMNS,
    "kind",
    "resource",
    "location",
    "cost_basis",
    "side",
    "counterparty",
    "product",
    "direction",
    "hour",
    "self_schedule_mw",
    "self_schedule_type",
    "segment",
    "mw",
    "price",
)
"""Every column, in the order :func:`render_csv` writes them."""
REQUIRED_COLUMNS = (*SET_COLUMNS, "kind", "hour")
DECIMAL_COLUMNS = frozenset({"mw", "price", "self_schedule_mw"})
INTEGER_COLUMNS = frozenset({"hour", "segment"})
NUMBER_COLUMNS = DECIMAL_COLUMNS | INTEGER_COLUMNS
_KINDS = {kind.value: kind for kind in BidKind}


@dataclass(frozen=True)
class CsvPlace:
    """A line of a CSV file, and a column of it when known.

    Example::

        >>> CsvPlace(5, "mw").where, CsvPlace(5).refined("price").where
        ('line 5, column mw', 'line 5, column price')
    """

    line: int | None
    column: str | None = None

    @property
    def where(self) -> str:
        line = "the file" if self.line is None else f"line {self.line}"
        return f"{line}, column {self.column}" if self.column else line

    def place(self, detail: str | None = None) -> Place:
        """This place, or its column ``detail`` (so a place is also a :class:`Source`)."""
        return self if detail is None else CsvPlace(self.line, detail)

    def refined(self, field: str) -> Place:
        if self.column is not None:
            return self
        return CsvPlace(self.line, {"hours": "hour", "segments": "segment"}.get(field, field))


@dataclass(frozen=True)
class _KindLayout:
    """Which columns a kind of bid uses, and what they make in the draft."""

    key: tuple[str, ...]
    """Columns whose values, with ``kind`` and ``bid``, tell one bid from another."""
    bid_values: tuple[str, ...] = ()
    """Further bid-level columns: the same on every row of the bid where written."""
    hour_values: tuple[str, ...] = ()
    """Hour-level columns: the same on every row of the hour where written."""
    items: str | None = None
    """The hour's list each row adds to (``segments``, ``offers``), if any."""
    item_values: tuple[str, ...] = ()
    numbered: bool = False
    """Items carry a ``segment`` number that orders them."""

    @functools.cached_property
    def columns(self) -> frozenset[str]:
        """Every column a row of this kind may fill."""
        numbering = ("segment",) if self.numbered else ()
        own = (*self.key, *self.bid_values, *self.hour_values, *self.item_values, *numbering)
        return frozenset({"bid", *SET_COLUMNS, "kind", "hour", *own})


LAYOUTS = {
    BidKind.ENERGY: _KindLayout(
        key=("resource",),
        bid_values=("cost_basis",),
        hour_values=("self_schedule_mw", "self_schedule_type"),
        items="segments",
        item_values=("mw", "price"),
        numbered=True,
    ),
    BidKind.ANCILLARY: _KindLayout(
        key=("resource",), items="offers", item_values=("product", "mw", "price")
    ),
    BidKind.VIRTUAL: _KindLayout(
        key=("location", "side"), items="segments", item_values=("mw", "price"), numbered=True
    ),
    BidKind.TRADE: _KindLayout(
        key=("counterparty", "location", "product", "direction"), hour_values=("mw",)
    ),
}


@dataclass(frozen=True)
class _Row:
    """A data row: its first line and its non-empty cells, numbers already read."""

    line: int
    cells: dict[str, Any]

    def place(self, detail: str | None = None) -> CsvPlace:
        """The row's first line, and the column ``detail`` if given."""
        return CsvPlace(self.line, detail)


@dataclass
class _BidRows:
    kind: BidKind
    rows: list[_Row] = field(default_factory=list)


class _Problems(list[BidProblem]):
    def add(self, place: CsvPlace, message: str) -> None:
        self.append(BidProblem(place.where, message, line=place.line))

    def raise_any(self) -> None:
        if self:
            raise BidFileError(self, file_format=FORMAT)


def parse_csv(data: bytes) -> BidSet:
    """The bid set a CSV file describes, or a :class:`BidFileError` listing what is wrong.

    Example::

        >>> parse_csv(b"scid,market,trade_date,kind,hour\\nDTGA,DAM,2020-07-15,ENERGY,x\\n")
        Traceback (most recent call last):
        ...
        gridmarket.bidding.formats.errors.BidFileError: the CSV bid file has 1 problem: \
line 2, column hour: 'x' is not a whole number
    """
    return _parse_csv(data)


def _parse_csv(data: bytes) -> BidSet:
    """:func:`parse_csv`, with the collector paused by the caller."""
    problems = _Problems()
    records = _records(_text_of(data), problems)
    problems.raise_any()
    rows = _rows(records, problems)
    problems.raise_any()
    draft = _draft(rows, Origins.unrecorded(CsvPlace(1)), problems)
    problems.raise_any()
    return validate_draft(draft, lambda: _origins(rows), file_format=FORMAT)


def _origins(rows: list[_Row]) -> Origins:
    """Where each part of the draft of ``rows`` came from."""
    origins = Origins(CsvPlace(1))
    _draft(rows, origins, _Problems())
    return origins


def _text_of(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        place = CsvPlace(line)
        problem = f"the file must be UTF-8 text; byte {error.start + 1} is not ({error.reason})"
        raise BidFileError(
            [BidProblem(place.where, problem, line=line)], file_format=FORMAT
        ) from None
    if not text.strip():
        place = CsvPlace(1)
        problem = "the file is empty: it needs a header line and at least one bid row"
        raise BidFileError([BidProblem(place.where, problem, line=1)], file_format=FORMAT)
    return text


def _records(text: str, problems: _Problems) -> list[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; blank records are left out."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if "".join(record).strip():
                records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as error:
        problems.add(CsvPlace(reader.line_num or 1), f"not readable as CSV: {error}")
    return records


def _rows(records: list[tuple[int, list[str]]], problems: _Problems) -> list[_Row]:
    header_line, header = records[0]
    columns = _header(header_line, header, problems)
    if problems:
        return []
    rows = [_row(line, record, columns, problems) for line, record in records[1:]]
    if not rows:
        problems.add(CsvPlace(header_line), "the file has a header but no bid rows")
    return rows


def _header(line: int, header: list[str], problems: _Problems) -> list[str]:
    names = [name.strip().lower() for name in header]
    if not set(names) & set(COLUMNS):
        problems.add(
            CsvPlace(line),
            "the first line must be a header naming the columns, e.g. " + ",".join(COLUMNS),
        )
        return names
    for position, name in enumerate(names, start=1):
        if not name:
            problems.add(CsvPlace(line, f"#{position}"), "a column without a name")
        elif name not in COLUMNS:
            problems.add(
                CsvPlace(line, name or f"#{position}"),
                f"unknown column {header[position - 1]!r}; the columns are {', '.join(COLUMNS)}",
            )
        elif names.index(name) != position - 1:
            problems.add(CsvPlace(line, name), "this column is named twice")
    for name in REQUIRED_COLUMNS:
        if name not in names:
            problems.add(CsvPlace(line, name), "this column is required")
    return names


def _row(line: int, record: list[str], columns: list[str], problems: _Problems) -> _Row:
    for position in range(len(columns), len(record)):
        if record[position].strip():
            problems.add(
                CsvPlace(line, f"#{position + 1}"),
                f"the row has {len(record)} cells but the header only {len(columns)}",
            )
            break
    cells: dict[str, Any] = {
        column: text for column, text in zip(columns, record, strict=False) if text
    }
    for column in NUMBER_COLUMNS.intersection(cells):
        number = _number(column, cells.pop(column), line, problems)
        if number is not None:
            cells[column] = number
    return _Row(line, cells)


def _number(column: str, text: str, line: int, problems: _Problems) -> int | Decimal | None:
    """The number a cell holds; None for a blank cell or (with a problem) a bad one."""
    if not text.strip():
        return None
    whole = column in INTEGER_COLUMNS
    number = read_integer(text) if whole else read_decimal(text)
    if number is None:
        problems.add(CsvPlace(line, column), not_a_number(text, whole=whole))
    return number


def _draft(rows: list[_Row], origins: Origins, problems: _Problems) -> dict[str, Any]:
    draft: dict[str, Any] = _set_values(rows, origins, problems)
    groups = _bid_groups(rows, problems)
    draft["bids"] = [
        _bid_draft(group, ("bids", number), origins, problems)
        for number, group in enumerate(groups)
    ]
    return draft


def _set_values(rows: list[_Row], origins: Origins, problems: _Problems) -> dict[str, Any]:
    """``scid``, ``market``, ``trade_date``: from the first row, the same on all others."""
    first = rows[0]
    values: dict[str, Any] = {}
    for column in SET_COLUMNS:
        value = first.cells.get(column)
        if value is not None:
            values[column] = value
        origins.note((column,), first, column)
        for row in rows[1:]:
            if row.cells.get(column) != value:
                problems.add(
                    row.place(column),
                    f"must be the same on every row ({value or 'empty'} on line {first.line}):"
                    " one file is one bid set",
                )
    return values


def _bid_groups(rows: list[_Row], problems: _Problems) -> list[_BidRows]:
    """The rows of each bid, bids in the order their first rows appear."""
    groups: dict[tuple[Any, ...], _BidRows] = {}
    for row in rows:
        kind = _kind_of(row, problems)
        if kind is None:
            continue
        layout = LAYOUTS[kind]
        if not layout.columns.issuperset(row.cells):
            for column in sorted(row.cells.keys() - layout.columns):
                problems.add(row.place(column), f"{kind.value} bids do not use this column")
        key = (row.cells.get("bid"), kind, *(row.cells.get(column) for column in layout.key))
        groups.setdefault(key, _BidRows(kind)).rows.append(row)
    return list(groups.values())


def _kind_of(row: _Row, problems: _Problems) -> BidKind | None:
    text = str(row.cells.get("kind", ""))
    kind = _KINDS.get(text)
    if kind is None:
        kinds = ", ".join(kind.value for kind in BidKind)
        problems.add(row.place("kind"), f"{text or 'empty'} is not a kind of bid; use {kinds}")
    return kind


def _bid_draft(group: _BidRows, loc: Loc, origins: Origins, problems: _Problems) -> dict[str, Any]:
    layout = LAYOUTS[group.kind]
    first = group.rows[0]
    origins.note(loc, first)
    bid: dict[str, Any] = {"kind": group.kind.value}
    for column in layout.key:
        if column in first.cells:
            bid[column] = first.cells[column]
            origins.note((*loc, column), first, column)
    bid.update(_agreed_values(group.rows, layout.bid_values, loc, origins, problems))
    hours = _rows_by_hour(group.rows, problems)
    origins.note((*loc, "hours"), first, "hour")
    bid["hours"] = [
        _hour_draft(number, hour_rows, layout, (*loc, "hours", index), origins, problems)
        for index, (number, hour_rows) in enumerate(sorted(hours.items()))
    ]
    return bid


def _agreed_values(
    rows: list[_Row], columns: tuple[str, ...], loc: Loc, origins: Origins, problems: _Problems
) -> dict[str, Any]:
    """Values that may be written on any of ``rows`` but must then be the same."""
    values: dict[str, Any] = {}
    first_line: dict[str, int] = {}
    for row in rows:
        for column in columns:
            if column not in row.cells:
                continue
            if column not in values:
                values[column] = row.cells[column]
                first_line[column] = row.line
                origins.note((*loc, column), row, column)
            elif row.cells[column] != values[column]:
                problems.add(
                    row.place(column),
                    f"differs from line {first_line[column]} ({values[column]}) of the same "
                    f"{'hour' if 'hours' in loc else 'bid'}",
                )
    return values


def _rows_by_hour(rows: list[_Row], problems: _Problems) -> dict[int, list[_Row]]:
    hours: dict[int, list[_Row]] = {}
    for row in rows:
        hour = row.cells.get("hour")
        if hour is None:
            problems.add(row.place("hour"), "every row needs the hour it is for")
        else:
            hours.setdefault(hour, []).append(row)
    return hours


def _hour_draft(
    hour: int,
    rows: list[_Row],
    layout: _KindLayout,
    loc: Loc,
    origins: Origins,
    problems: _Problems,
) -> dict[str, Any]:
    origins.note(loc, rows[0], "hour")
    origins.note((*loc, "hour"), rows[0], "hour")
    draft: dict[str, Any] = {"hour": hour}
    if layout.items is None:
        for row in rows[1:]:
            problems.add(
                row.place("hour"), f"HE{hour} of this bid is already on line {rows[0].line}"
            )
        rows = rows[:1]
    draft.update(_agreed_values(rows, layout.hour_values, loc, origins, problems))
    if layout.items is not None:
        items_loc = (*loc, layout.items)
        item_column = "segment" if layout.numbered else layout.item_values[0]
        origins.note(items_loc, rows[0], item_column)
        item_rows = _item_rows(rows, layout, problems)
        draft[layout.items] = [
            _item_draft(row, layout, (*items_loc, index), origins)
            for index, row in enumerate(item_rows)
        ]
    return draft


def _item_rows(rows: list[_Row], layout: _KindLayout, problems: _Problems) -> list[_Row]:
    """The rows of an hour that are segments or offers, in their order."""
    columns = {*layout.item_values, "segment"}
    items = [row for row in rows if columns & row.cells.keys()]
    if not layout.numbered:
        return items
    numbered: dict[int, _Row] = {}
    for row in items:
        number = row.cells.get("segment")
        if number is None:
            problems.add(row.place("segment"), "a segment needs its number")
        elif number < 1:
            problems.add(row.place("segment"), "segment numbers start at 1")
        elif number in numbered:
            problems.add(
                row.place("segment"),
                f"segment {number} of this hour is already on line {numbered[number].line}",
            )
        else:
            numbered[number] = row
    return [numbered[number] for number in sorted(numbered)]


def _item_draft(row: _Row, layout: _KindLayout, loc: Loc, origins: Origins) -> dict[str, Any]:
    cells = row.cells
    item = {column: cells[column] for column in layout.item_values if column in cells}
    origins.note(loc, row)
    for column in item:
        origins.note((*loc, column), row, column)
    return item


def render_csv(bid_set: BidSet) -> bytes:
    """The bid set as a CSV file in the layout :func:`parse_csv` reads.

    The ``bid`` column is written only when two bids share a key (and so need
    a label to stay apart).

    Example::

        >>> from gridmarket.bidding.schema import BidSet
        >>> bid_set = BidSet.model_validate({
        ...     "scid": "DTGA", "market": "DAM", "trade_date": "2020-07-15",
        ...     "bids": [{"kind": "TRADE", "counterparty": "BRKR", "location": "TH_NP15",
        ...               "product": "ENERGY", "direction": "SELL",
        ...               "hours": [{"hour": 1, "mw": 25}]}]})
        >>> print(render_csv(bid_set).decode())  # doctest: +NORMALIZE_WHITESPACE
        scid,market,trade_date,kind,resource,location,cost_basis,side,counterparty,product,\
direction,hour,self_schedule_mw,self_schedule_type,segment,mw,price
        DTGA,DAM,2020-07-15,TRADE,,TH_NP15,,,BRKR,ENERGY,SELL,1,,,,25,
    """
    columns = COLUMNS if _needs_bid_labels(bid_set) else COLUMNS[1:]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; quotes a lone CR too
    writer.writerow(columns)
    set_values = {"scid": bid_set.scid, "market": bid_set.market, "trade_date": bid_set.trade_date}
    for number, bid in enumerate(bid_set.bids, start=1):
        for cells in _bid_rows(bid):
            row = {**set_values, "bid": number, "kind": bid.kind, **cells}
            writer.writerow(_cell_text(row.get(column)) for column in columns)
    return out.getvalue().encode("utf-8")


def _needs_bid_labels(bid_set: BidSet) -> bool:
    keys = [
        (bid.kind, *(getattr(bid, column) for column in LAYOUTS[bid.kind].key))
        for bid in bid_set.bids
    ]
    return len(set(keys)) != len(keys)


def _bid_rows(bid: EnergyBid | AncillaryBid | VirtualBid | TradeBid) -> Iterator[dict[str, Any]]:
    """The cells (beyond the set-level ones) of each row of one bid."""
    layout = LAYOUTS[bid.kind]
    bid_cells = {column: getattr(bid, column) for column in (*layout.key, *layout.bid_values)}
    for hour in bid.hours:
        hour_cells = {"hour": hour.hour}
        hour_cells.update({column: getattr(hour, column) for column in layout.hour_values})
        items: list[Any] = getattr(hour, layout.items) if layout.items else []
        if not items:
            yield {**bid_cells, **hour_cells}
        for number, item in enumerate(items, start=1):
            item_cells = {column: getattr(item, column) for column in layout.item_values}
            if layout.numbered:
                item_cells["segment"] = number
            yield {**bid_cells, **hour_cells, **item_cells}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
