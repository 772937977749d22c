"""The OASIS ``SingleZip`` query: parameters, validation, error codes, the answer.

``GET /oasisapi/SingleZip?queryname=PRC_LMP&market_run_id=DAM&version=12
&startdatetime=20200715T07:00-0000&enddatetime=20200716T07:00-0000
&resultformat=6&node=DLAP_AREA1-APND`` answers a ZIP holding one CSV
(``resultformat=6``) or one XML document (otherwise). Errors come back the way
OASIS sends them: a ZIP holding one XML document with ``ERR_CODE`` and
``ERR_DESC`` — ``INVALID_REQUEST.xml`` for a bad request, the report's own
name (``.xml``) when a valid request finds no data (code 1000).

Parameter names are case-insensitive; ``startdatetime`` / ``enddatetime`` are
``YYYYMMDDTHH:MM`` with a ``±HHMM`` offset (``-0000`` for GMT); the end is
exclusive; at most ``publication.max_request_days`` (31) days a request.

Example::

    >>> q = parse_query({"queryname": "PRC_LMP", "market_run_id": "DAM", "version": "12",
    ...                  "startdatetime": "20200715T07:00-0000",
    ...                  "enddatetime": "20200716T07:00-0000", "resultformat": "6"}, max_days=31)
    >>> q.spec.queryname, q.start_utc.isoformat(), q.result_format
    ('PRC_LMP', '2020-07-15T07:00:00+00:00', 'csv')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar
from gridmarket.publication.oasis_files import (
    INVALID_REQUEST_FILE,
    data_file_name,
    render_csv,
    render_error_xml,
    render_xml,
)
from gridmarket.publication.oasis_load import EXECUTION_TYPES, SERIES_BY_ITEM, LoadSelection
from gridmarket.publication.oasis_reports import REPORTS, ReportSpec, Selection, report_rows

NO_DATA = 1000
INVALID_DATE = 1002
TOO_MANY_DAYS = 1004
UNKNOWN_REPORT = 1005
EMPTY_QUERY = 1011
TOO_MANY_NODES = 1017
INVALID_VERSION = 1020

ERROR_DESCRIPTIONS: Mapping[int, str] = {
    NO_DATA: "No data returned for the specified selection",
    INVALID_DATE: "Invalid date format, please use valid date format",
    TOO_MANY_DAYS: "Data can be requested for period of {days} days only",
    UNKNOWN_REPORT: "Report name does not exit, please use valid report name",
    EMPTY_QUERY: "Empty Query; Please Enter Report Name, Startdate, EndDate and Other Parameters",
    TOO_MANY_NODES: "Please select a maximum of 10 nodes or use the ALL option",
    INVALID_VERSION: "Version parameter is missing or is invalid",
}
"""OASIS error codes and their texts, as OASIS words them (``exit`` included)."""

MAX_NODES = 10
CSV_RESULT_FORMAT = "6"
GROUP_TYPES = ("ALL", "ALL_APNODES")
DATETIME_FORMAT = "%Y%m%dT%H:%M%z"


class OasisError(Exception):
    """A request OASIS answers with an error document.

    Example::

        >>> OasisError(NO_DATA).description
        'No data returned for the specified selection'
    """

    def __init__(self, code: int, *, max_days: int = 31) -> None:
        self.code = code
        self.description = ERROR_DESCRIPTIONS[code].format(days=max_days)
        super().__init__(f"{code}: {self.description}")


@dataclass(frozen=True)
class OasisQuery:
    """A valid ``SingleZip`` request."""

    spec: ReportSpec
    market_run_id: str
    """As published in the file (``RTM`` for RTD prices, ``RTPD`` for FMM)."""
    start_utc: datetime
    end_utc: datetime
    selection: Selection
    result_format: Literal["csv", "xml"]

    def file_name(self, extension: str) -> str:
        """The report's file name, e.g. ``20200715_20200716_PRC_LMP_DAM_LMP_v12.csv``."""
        parts = [self.spec.queryname, self.market_run_id]
        if self.spec.file_item is not None:
            parts.append(self.spec.file_item)
        return data_file_name(self.start_utc, self.end_utc, parts, self.spec.version, extension)


@dataclass(frozen=True)
class OasisFile:
    """The one file the answer's ZIP holds."""

    name: str
    content: bytes


def parse_datetime(text: str) -> datetime:
    """An OASIS date-time (``20200715T07:00-0000``) as a UTC instant.

    Example::

        >>> parse_datetime("20200715T00:00-0700").isoformat()
        '2020-07-15T07:00:00+00:00'
    """
    try:
        return datetime.strptime(text.strip(), DATETIME_FORMAT).astimezone(UTC)
    except ValueError:
        raise OasisError(INVALID_DATE) from None


def _list(value: str | None) -> tuple[str, ...] | None:
    if value is None or value.strip().upper() in ("", "ALL"):
        return None
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _selection(params: Mapping[str, str]) -> Selection:
    nodes = _list(params.get("node"))
    if nodes is not None and len(nodes) > MAX_NODES:
        raise OasisError(TOO_MANY_NODES)
    grp_type = params.get("grp_type")
    if grp_type is not None and grp_type.upper() not in GROUP_TYPES:
        raise OasisError(NO_DATA)
    anc_types = _list(params.get("anc_type"))
    execution_type = (params.get("execution_type") or "").strip().upper() or None
    if execution_type is not None and execution_type not in EXECUTION_TYPES:
        raise OasisError(NO_DATA)
    return Selection(nodes=nodes, grp_type=grp_type.upper() if grp_type else None,
                     anc_types=tuple(t.upper() for t in anc_types) if anc_types else None,
                     anc_regions=_list(params.get("anc_region")),
                     load=LoadSelection(_list(params.get("tac_area_name")), execution_type))


def parse_query(raw: Mapping[str, str], *, max_days: int) -> OasisQuery:
    """Validate a ``SingleZip`` request; :class:`OasisError` with the OASIS code if invalid.

    Example::

        >>> parse_query({"queryname": "NOPE"}, max_days=31)
        Traceback (most recent call last):
        ...
        gridmarket.publication.oasis.OasisError: 1011: Empty Query; Please Enter Report Name, \
Startdate, EndDate and Other Parameters
    """
    params = {key.lower(): value for key, value in raw.items()}
    if not all(params.get(key) for key in ("queryname", "startdatetime", "enddatetime")):
        raise OasisError(EMPTY_QUERY)
    spec = REPORTS.get(params["queryname"].strip().upper())
    if spec is None:
        raise OasisError(UNKNOWN_REPORT)
    if params.get("version", "").strip() != str(spec.version):
        raise OasisError(INVALID_VERSION)
    run_id = params.get("market_run_id", "").strip().upper()
    if not run_id:
        raise OasisError(EMPTY_QUERY)
    if run_id not in spec.market_run_ids:
        raise OasisError(NO_DATA)
    start, end = parse_datetime(params["startdatetime"]), parse_datetime(params["enddatetime"])
    if end - start > timedelta(days=max_days):
        raise OasisError(TOO_MANY_DAYS, max_days=max_days)
    if end <= start:
        raise OasisError(NO_DATA)
    fmt: Literal["csv", "xml"] = (
        "csv" if params.get("resultformat", "").strip() == CSV_RESULT_FORMAT else "xml")
    return OasisQuery(spec, spec.market_run_ids[run_id], start, end, _selection(params), fmt)


def _report_header(query: OasisQuery, calendar: MarketCalendar,
                   data_item: str) -> dict[str, str]:
    """The ``REPORT_HEADER`` of one data item (a load forecast names its execution type)."""
    series = SERIES_BY_ITEM.get(data_item) if query.spec.kind == "LOAD" else None
    market = series.interval_market if series is not None else query.spec.interval_market
    header = {"SYSTEM": "OASIS", "TZ": "PPT", "REPORT": query.spec.queryname,
              "MKT_TYPE": query.market_run_id}
    if series is not None:
        header["EXECUTION_TYPE"] = series.execution_type
    return {**header, "UOM": query.spec.uom, "INTERVAL": "ENDING",
            "SEC_PER_INTERVAL": str(calendar.interval_minutes(market) * 60)}


def single_zip_file(session: Session, raw: Mapping[str, str], *, calendar: MarketCalendar,
                    max_days: int, now: datetime) -> OasisFile:
    """The file answering a ``SingleZip`` request: the report, or the error document.

    Example::

        answer = single_zip_file(session, request.query_params, calendar=MarketCalendar(params),
                                 max_days=31, now=clock.now())
        answer.name  # '20200715_20200716_PRC_LMP_DAM_LMP_v12.csv'
    """
    try:
        query = parse_query(raw, max_days=max_days)
    except OasisError as error:
        return OasisFile(INVALID_REQUEST_FILE,
                         render_error_xml(error.code, error.description, now))
    rows = report_rows(session, calendar, query.spec, query.market_run_id, query.start_utc,
                       query.end_utc, query.selection)
    if not rows:
        no_data = OasisError(NO_DATA)
        return OasisFile(query.file_name("xml"),
                         render_error_xml(no_data.code, no_data.description, now))
    if query.result_format == "csv":
        return OasisFile(query.file_name("csv"),
                         render_csv(query.spec.columns, [row.cells for row in rows]))
    return OasisFile(query.file_name("xml"), render_xml(
        lambda item: _report_header(query, calendar, item), [row.xml for row in rows], now))
