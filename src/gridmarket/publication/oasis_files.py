"""OASIS files: GMT times, prices, CSV and XML bodies, file names and the ZIP.

Pure functions: rows come in as plain text cells, bytes go out. The layouts
follow the real CAISO OASIS (see ``docs/oasis.md``): times as
``2020-07-15T07:00:00-00:00``, prices with five decimals, an ``OASISReport``
XML document with ``MessageHeader`` / ``MessagePayload/RTO/REPORT_ITEM``, and
errors as an ``OASISReport`` with ``ERROR/ERR_CODE`` and ``ERR_DESC``.

Example::

    >>> from datetime import UTC, datetime
    >>> format_gmt(datetime(2020, 7, 15, 7, tzinfo=UTC))
    '2020-07-15T07:00:00-00:00'
    >>> format_price(Decimal("-1.5"))
    '-1.50000'
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from xml.etree import ElementTree as ET

ZIP_MEDIA_TYPE = "application/x-zip-compressed"
"""The media type OASIS answers with (clients check for it)."""
XML_NAMESPACE = "http://www.caiso.com/soa/OASISReport_v1.xsd"
MESSAGE_VERSION = "v20131201"
INVALID_REQUEST_FILE = "INVALID_REQUEST.xml"
PRICE_QUANTUM = Decimal("0.00001")
"""OASIS prices carry five decimals (``48.94640``)."""
MW_QUANTUM = Decimal("0.01")
"""OASIS loads carry at most two decimals, trailing zeros dropped (``26559.38``, ``26723``)."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""A fixed member timestamp: the same answer gives the same bytes."""


@dataclass(frozen=True)
class XmlDatum:
    """One ``REPORT_DATA`` element of the XML variant."""

    data_item: str
    resource_name: str
    opr_date: date
    interval_num: int
    start_utc: datetime
    end_utc: datetime
    value: str


@dataclass(frozen=True)
class ReportRow:
    """One row of a report: its CSV cells and its XML ``REPORT_DATA``."""

    cells: Mapping[str, str]
    xml: XmlDatum


def format_gmt(instant: datetime) -> str:
    """An instant as OASIS writes it: GMT, seconds, ``-00:00``.

    Example::

        >>> format_gmt(datetime(2020, 11, 1, 9, 5, tzinfo=UTC))
        '2020-11-01T09:05:00-00:00'
    """
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def round_price(value: Decimal) -> Decimal:
    """A price rounded half-even to the five decimals OASIS publishes.

    Example::

        >>> round_price(Decimal("1.234565"))
        Decimal('1.23456')
    """
    rounded = value.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_EVEN)
    return rounded + Decimal("0.00000")  # -0.00000 becomes 0.00000


def format_price(value: Decimal) -> str:
    """A price as text with exactly five decimals.

    Example::

        >>> format_price(Decimal("20"))
        '20.00000'
    """
    return f"{round_price(value):.5f}"


def format_mw(value: Decimal) -> str:
    """A load in MW as OASIS writes it: rounded half-even to two decimals, no trailing zeros.

    Example::

        >>> [format_mw(Decimal(v)) for v in ("26559.381", "26723.00", "1501.950", "-0")]
        ['26559.38', '26723', '1501.95', '0']
    """
    rounded = value.quantize(MW_QUANTUM, rounding=ROUND_HALF_EVEN)
    text = f"{rounded:f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def data_file_name(start_utc: datetime, end_utc: datetime, parts: Sequence[str],
                   version: int, extension: str) -> str:
    """The name of a report file: GMT start and end dates, the parts, the version.

    Example::

        >>> data_file_name(datetime(2020, 7, 15, 7, tzinfo=UTC),
        ...                datetime(2020, 7, 16, 7, tzinfo=UTC),
        ...                ["PRC_LMP", "DAM", "LMP"], 12, "csv")
        '20200715_20200716_PRC_LMP_DAM_LMP_v12.csv'
    """
    first = start_utc.astimezone(UTC).strftime("%Y%m%d")
    last = end_utc.astimezone(UTC).strftime("%Y%m%d")
    return f"{first}_{last}_{'_'.join(parts)}_v{version}.{extension}"


def render_csv(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> bytes:
    """A CSV body: the header, then one line per row, cells in column order.

    Cells are never quoted: OASIS values hold no commas.

    Example::

        >>> render_csv(["A", "B"], [{"B": "2", "A": "1"}])
        b'A,B\\n1,2\\n'
    """
    lines = [",".join(columns)]
    lines.extend(",".join(row[column] for column in columns) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _child(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{XML_NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _document(now: datetime) -> tuple[ET.Element, ET.Element]:
    ET.register_namespace("m", XML_NAMESPACE)
    root = ET.Element(f"{{{XML_NAMESPACE}}}OASISReport")
    header = _child(root, "MessageHeader")
    _child(header, "TimeDate", format_gmt(now))
    _child(header, "Source", "OASIS")
    _child(header, "Version", MESSAGE_VERSION)
    rto = _child(_child(root, "MessagePayload"), "RTO")
    _child(rto, "name", "CAISO")
    return root, rto


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def render_xml(header_of: Callable[[str], Mapping[str, str]], data: Sequence[XmlDatum],
               now: datetime) -> bytes:
    """An ``OASISReport``: one ``REPORT_ITEM`` per data item and resource.

    ``header_of(data_item)`` is the item's ``REPORT_HEADER`` (``SYSTEM``, ``TZ``,
    ``REPORT``, ...), repeated in every item as OASIS does; a load forecast's
    items differ in their execution type and interval length.

    Example::

        body = render_xml(lambda item: {"SYSTEM": "OASIS", "REPORT": "PRC_LMP"}, data,
                          clock.now())
    """
    root, rto = _document(now)
    items: dict[tuple[str, str], list[XmlDatum]] = {}
    for datum in data:
        items.setdefault((datum.resource_name, datum.data_item), []).append(datum)
    for (_, data_item), group in items.items():
        item = _child(rto, "REPORT_ITEM")
        report_header = _child(item, "REPORT_HEADER")
        for tag, text in header_of(data_item).items():
            _child(report_header, tag, text)
        for datum in group:
            report_data = _child(item, "REPORT_DATA")
            _child(report_data, "DATA_ITEM", datum.data_item)
            _child(report_data, "RESOURCE_NAME", datum.resource_name)
            _child(report_data, "OPR_DATE", datum.opr_date.isoformat())
            _child(report_data, "INTERVAL_NUM", str(datum.interval_num))
            _child(report_data, "INTERVAL_START_GMT", format_gmt(datum.start_utc))
            _child(report_data, "INTERVAL_END_GMT", format_gmt(datum.end_utc))
            _child(report_data, "VALUE", datum.value)
    return _serialise(root)


def render_error_xml(code: int, description: str, now: datetime) -> bytes:
    """The error document: ``MessagePayload/RTO/ERROR`` with ``ERR_CODE`` and ``ERR_DESC``.

    Example::

        >>> b"<m:ERR_CODE>1000</m:ERR_CODE>" in render_error_xml(
        ...     1000, "No data returned for the specified selection",
        ...     datetime(2020, 7, 15, tzinfo=UTC))
        True
    """
    root, rto = _document(now)
    error = _child(rto, "ERROR")
    _child(error, "ERR_CODE", str(code))
    _child(error, "ERR_DESC", description)
    return _serialise(root)


def pack_zip(name: str, content: bytes) -> bytes:
    """A ZIP holding exactly one file, deflated, with a fixed timestamp.

    Example::

        >>> zipfile.ZipFile(io.BytesIO(pack_zip("a.csv", b"x\\n"))).namelist()
        ['a.csv']
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, content)
    return buffer.getvalue()
