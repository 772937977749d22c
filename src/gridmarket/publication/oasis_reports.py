"""OASIS reports: what each query name publishes, and its rows (rulebook §10).

* ``PRC_LMP`` (version 12, ``DAM``): hourly day-ahead LMPs, value in ``MW``.
* ``PRC_INTVL_LMP`` (version 3, ``RTM``): 5-minute RTD LMPs, value in ``VALUE``.
* ``PRC_RTPD_LMP`` (version 3, ``RTPD``): 15-minute FMM LMPs, value in ``PRC``.
* ``PRC_AS`` (version 12, ``DAM``): day-ahead ancillary service clearing prices.
* ``PRC_INTVL_AS`` (version 1, ``RTM``): 15-minute FMM ancillary service prices.
* ``SLD_FCST`` (version 1, ``DAM`` / ``RTM``): the load forecast per area
  (:mod:`~gridmarket.publication.oasis_load`).

An LMP report has five rows per node and interval: LMP, MCE, MCC, MCL and
MGHG (always present, zero: no greenhouse-gas cost is modelled). Each part is
rounded to five decimals and the published LMP is the sum of the published
parts, so ``LMP = MCE + MCC + MCL + MGHG`` holds exactly in the file.

Prices come from the published (completed) run of the market for every
trade date the request touches (:func:`gridmarket.markets.runs.published_run`).

Example::

    rows = report_rows(session, calendar, REPORTS["PRC_LMP"], "DAM", start, end, Selection())
    rows[0].cells["LMP_TYPE"]  # 'LMP'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.calendar import MarketCalendar, MarketName
from gridmarket.markets.run_models import MarketKind, MarketPrice, MarketReservePrice
from gridmarket.markets.runs import published_run
from gridmarket.publication.oasis_files import (
    ReportRow,
    XmlDatum,
    format_gmt,
    format_price,
    round_price,
)
from gridmarket.publication.oasis_load import SLD_FCST_COLUMNS, LoadSelection, load_rows

ReportKind = Literal["LMP", "AS", "LOAD"]

LMP_PARTS: tuple[tuple[str, str], ...] = (
    ("LMP", "LMP_PRC"),
    ("MCE", "LMP_ENE_PRC"),
    ("MCC", "LMP_CONG_PRC"),
    ("MCL", "LMP_LOSS_PRC"),
    ("MGHG", "LMP_GHG_PRC"),
)
"""``(LMP_TYPE, XML_DATA_ITEM)`` in the order rows are written."""

ANC_TYPES: Mapping[str, tuple[str, str]] = {
    "REG_UP": ("RU", "RU_CLR_PRC"),
    "REG_DOWN": ("RD", "RD_CLR_PRC"),
    "SPIN": ("SR", "SP_CLR_PRC"),
    "NON_SPIN": ("NR", "NS_CLR_PRC"),
}
"""Our reserve product → ``(ANC_TYPE, XML_DATA_ITEM)``."""

AS_OPR_TYPE = "PRC"
"""``OPR_TYPE`` of a ``PRC_AS`` row *(assumed: the real value is not confirmed)*."""
APND_SUFFIX = "-APND"
ZERO = Decimal("0")

PRC_LMP_COLUMNS = (
    "INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "OPR_DT", "OPR_HR", "OPR_INTERVAL",
    "NODE_ID_XML", "NODE_ID", "NODE", "MARKET_RUN_ID", "LMP_TYPE", "XML_DATA_ITEM",
    "PNODE_RESMRID", "GRP_TYPE", "POS", "MW", "GROUP",
)


def _interval_columns(value_column: str) -> tuple[str, ...]:
    """The real-time layout: ``OPR_INTERVAL`` moves after the value column."""
    return (
        "INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "OPR_DT", "OPR_HR",
        "NODE_ID_XML", "NODE_ID", "NODE", "MARKET_RUN_ID", "LMP_TYPE", "XML_DATA_ITEM",
        "PNODE_RESMRID", "GRP_TYPE", "POS", value_column, "OPR_INTERVAL", "GROUP",
    )


PRC_AS_COLUMNS = (
    "INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "OPR_DT", "OPR_HR", "OPR_INTERVAL",
    "OPR_TYPE", "ANC_TYPE", "ANC_REGION", "MARKET_RUN_ID", "XML_DATA_ITEM", "MW", "GROUP",
)
PRC_INTVL_AS_COLUMNS = (
    "INTERVALSTARTTIME_GMT", "INTERVALENDTIME_GMT", "OPR_DT", "OPR_HR", "OPR_TYPE",
    "ANC_TYPE", "XML_DATA_ITEM", "MARKET_RUN_ID", "MW", "ANC_REGION", "OPR_INTERVAL", "GROUP",
)
"""The real-time layout differs from ``PRC_AS``: the region and ``OPR_INTERVAL`` come last."""


@dataclass(frozen=True)
class ReportSpec:
    """One OASIS query name: version, market, accepted ``market_run_id`` values, layout."""

    queryname: str
    version: int
    kind: ReportKind
    market: MarketKind | None
    """The market whose published run the report reads (None: not a market result)."""
    market_run_ids: Mapping[str, str]
    """Accepted ``market_run_id`` (upper case) → the value published in the file."""
    columns: tuple[str, ...]
    value_column: str
    uom: str
    file_item: str | None
    """The item in the file name (``..._PRC_LMP_DAM_LMP_v12.csv``), if any."""

    @property
    def interval_market(self) -> MarketName:
        """The calendar market whose interval length the report uses."""
        names: dict[MarketKind, MarketName] = {
            MarketKind.DAM: "DAM", MarketKind.FMM: "FMM", MarketKind.RTD: "RTD"}
        if self.market is None:
            raise ValueError(f"{self.queryname} has one interval length per data item")
        return names[self.market]


REPORTS: Mapping[str, ReportSpec] = {
    spec.queryname: spec
    for spec in (
        ReportSpec("PRC_LMP", 12, "LMP", MarketKind.DAM, {"DAM": "DAM"},
                   PRC_LMP_COLUMNS, "MW", "US$/MWh", "LMP"),
        ReportSpec("PRC_INTVL_LMP", 3, "LMP", MarketKind.RTD, {"RTM": "RTM", "RTD": "RTM"},
                   _interval_columns("VALUE"), "VALUE", "US$/MWh", "LMP"),
        ReportSpec("PRC_RTPD_LMP", 3, "LMP", MarketKind.FMM, {"RTPD": "RTPD", "FMM": "RTPD"},
                   _interval_columns("PRC"), "PRC", "US$/MWh", "LMP"),
        ReportSpec("PRC_AS", 12, "AS", MarketKind.DAM, {"DAM": "DAM"},
                   PRC_AS_COLUMNS, "MW", "US$/MW", None),
        ReportSpec("PRC_INTVL_AS", 1, "AS", MarketKind.FMM, {"RTM": "RTM", "FMM": "RTM"},
                   PRC_INTVL_AS_COLUMNS, "MW", "US$/MW", None),
        ReportSpec("SLD_FCST", 1, "LOAD", None, {"DAM": "DAM", "RTM": "RTM"},
                   SLD_FCST_COLUMNS, "MW", "MW", None),
    )
}


@dataclass(frozen=True)
class Selection:
    """What the request narrows to: nodes and node group, or AS types and regions."""

    nodes: tuple[str, ...] | None = None
    """``node=`` (comma separated); None for every node."""
    grp_type: str | None = None
    """``grp_type=ALL`` or ``ALL_APNODES`` (aggregated nodes only)."""
    anc_types: tuple[str, ...] | None = None
    anc_regions: tuple[str, ...] | None = None
    load: LoadSelection = field(default_factory=LoadSelection)
    """``tac_area_name=`` and ``execution_type=`` of ``SLD_FCST``."""


@dataclass(frozen=True)
class NodePrice:
    """One published LMP and its parts at one node and interval."""

    node: str
    interval_start_utc: datetime
    energy: Decimal
    congestion: Decimal
    loss: Decimal


@dataclass(frozen=True)
class ZonePrice:
    """One published ancillary service price in one reserve zone and interval."""

    zone: str
    product: str
    interval_start_utc: datetime
    price: Decimal


def lmp_parts(price: NodePrice) -> tuple[Decimal, ...]:
    """The five published parts (LMP, MCE, MCC, MCL, MGHG); LMP is their sum.

    Example::

        >>> from datetime import UTC
        >>> p = NodePrice("N", datetime(2020, 1, 1, tzinfo=UTC), Decimal("20.1234567"),
        ...               Decimal("1.000004"), Decimal("-0.5"))
        >>> [str(v) for v in lmp_parts(p)]
        ['20.62346', '20.12346', '1.00000', '-0.50000', '0.00000']
    """
    energy, congestion, loss = (round_price(v) for v in (price.energy, price.congestion,
                                                         price.loss))
    ghg = round_price(ZERO)
    return (energy + congestion + loss + ghg, energy, congestion, loss, ghg)


def lmp_rows(spec: ReportSpec, market_run_id: str, prices: Iterable[NodePrice],
             calendar: MarketCalendar, grp_type: str | None = None) -> list[ReportRow]:
    """The rows of an LMP report: five per node and interval, numbered in ``GROUP``.

    Example::

        rows = lmp_rows(REPORTS["PRC_LMP"], "DAM", prices, MarketCalendar())
    """
    minutes = calendar.interval_minutes(spec.interval_market)
    rows: list[ReportRow] = []
    for price in prices:
        interval = calendar.interval_containing(price.interval_start_utc, minutes)
        opr_interval = 0 if spec.market is MarketKind.DAM else interval.interval_in_hour
        node = price.node
        for (lmp_type, item), value in zip(LMP_PARTS, lmp_parts(price), strict=True):
            text = format_price(value)
            cells = {
                "INTERVALSTARTTIME_GMT": format_gmt(interval.start_utc),
                "INTERVALENDTIME_GMT": format_gmt(interval.end_utc),
                "OPR_DT": interval.trade_date.isoformat(),
                "OPR_HR": str(interval.hour_ending),
                "OPR_INTERVAL": str(opr_interval),
                "NODE_ID_XML": node, "NODE_ID": node, "NODE": node,
                "MARKET_RUN_ID": market_run_id, "LMP_TYPE": lmp_type, "XML_DATA_ITEM": item,
                "PNODE_RESMRID": node, "GRP_TYPE": grp_type or "ALL", "POS": "0",
                spec.value_column: text, "GROUP": str(len(rows) + 1),
            }
            rows.append(ReportRow(cells, XmlDatum(
                item, node, interval.trade_date, interval.index + 1, interval.start_utc,
                interval.end_utc, text)))
    return rows


def as_rows(spec: ReportSpec, market_run_id: str, prices: Iterable[ZonePrice],
            calendar: MarketCalendar) -> list[ReportRow]:
    """The rows of ``PRC_AS`` or ``PRC_INTVL_AS``: one per reserve zone, product and interval.

    Example::

        rows = as_rows(REPORTS["PRC_AS"], "DAM", zone_prices, MarketCalendar())
    """
    minutes = calendar.interval_minutes(spec.interval_market)
    rows: list[ReportRow] = []
    for price in prices:
        interval = calendar.interval_containing(price.interval_start_utc, minutes)
        opr_interval = 0 if spec.market is MarketKind.DAM else interval.interval_in_hour
        anc_type, item = ANC_TYPES[price.product]
        text = format_price(price.price)
        cells = {
            "INTERVALSTARTTIME_GMT": format_gmt(interval.start_utc),
            "INTERVALENDTIME_GMT": format_gmt(interval.end_utc),
            "OPR_DT": interval.trade_date.isoformat(),
            "OPR_HR": str(interval.hour_ending), "OPR_INTERVAL": str(opr_interval),
            "OPR_TYPE": AS_OPR_TYPE, "ANC_TYPE": anc_type, "ANC_REGION": price.zone,
            "MARKET_RUN_ID": market_run_id, "XML_DATA_ITEM": item, "MW": text,
            "GROUP": str(len(rows) + 1),
        }
        rows.append(ReportRow(cells, XmlDatum(
            item, price.zone, interval.trade_date, interval.index + 1, interval.start_utc,
            interval.end_utc, text)))
    return rows


def _trade_dates(calendar: MarketCalendar, start: datetime, end: datetime) -> list[date]:
    first = calendar.trade_date_of(start)
    last = calendar.trade_date_of(end - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def published_run_ids(session: Session, calendar: MarketCalendar, market: MarketKind,
                      start: datetime, end: datetime) -> list[int]:
    """The published run of ``market`` for every trade date in ``[start, end)``."""
    runs = (published_run(session, day, market) for day in _trade_dates(calendar, start, end))
    return [run.id for run in runs if run is not None]


def load_node_prices(session: Session, run_ids: list[int], start: datetime, end: datetime,
                     selection: Selection) -> list[NodePrice]:
    """Published prices of the runs in ``[start, end)``, ordered by node and interval."""
    if not run_ids:
        return []
    query = select(MarketPrice).where(
        MarketPrice.run_id.in_(run_ids), MarketPrice.interval_start_utc >= start,
        MarketPrice.interval_start_utc < end)
    if selection.nodes is not None:
        query = query.where(MarketPrice.node.in_(selection.nodes))
    rows = session.scalars(query.order_by(MarketPrice.node, MarketPrice.interval_start_utc))
    apnodes_only = selection.grp_type == "ALL_APNODES"
    return [NodePrice(r.node, r.interval_start_utc, r.energy_usd_per_mwh,
                      r.congestion_usd_per_mwh, r.loss_usd_per_mwh)
            for r in rows if not apnodes_only or r.node.endswith(APND_SUFFIX)]


def load_zone_prices(session: Session, run_ids: list[int], start: datetime, end: datetime,
                     selection: Selection) -> list[ZonePrice]:
    """Published ancillary service prices of the runs in ``[start, end)``."""
    if not run_ids:
        return []
    query = select(MarketReservePrice).where(
        MarketReservePrice.run_id.in_(run_ids), MarketReservePrice.interval_start_utc >= start,
        MarketReservePrice.interval_start_utc < end)
    if selection.anc_regions is not None:
        query = query.where(MarketReservePrice.zone.in_(selection.anc_regions))
    rows = session.scalars(query.order_by(MarketReservePrice.zone, MarketReservePrice.product,
                                          MarketReservePrice.interval_start_utc))
    wanted = selection.anc_types
    return [ZonePrice(r.zone, r.product, r.interval_start_utc, r.price_usd_per_mw)
            for r in rows if r.product in ANC_TYPES
            and (wanted is None or ANC_TYPES[r.product][0] in wanted)]


def report_rows(session: Session, calendar: MarketCalendar, spec: ReportSpec,
                market_run_id: str, start: datetime, end: datetime,
                selection: Selection) -> list[ReportRow]:
    """Every row of ``spec`` for ``[start, end)`` (GMT) and ``selection``; empty if none.

    Example::

        rows = report_rows(session, MarketCalendar(), REPORTS["PRC_INTVL_LMP"], "RTM",
                           start, end, Selection(nodes=("DLAP_AREA1-APND",)))
    """
    if spec.market is None:
        return load_rows(session, calendar, market_run_id, start, end, selection.load)
    run_ids = published_run_ids(session, calendar, spec.market, start, end)
    if spec.kind == "AS":
        return as_rows(spec, market_run_id,
                       load_zone_prices(session, run_ids, start, end, selection), calendar)
    return lmp_rows(spec, market_run_id,
                    load_node_prices(session, run_ids, start, end, selection), calendar,
                    selection.grp_type)
