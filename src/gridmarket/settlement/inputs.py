"""The settlement engine's input frames: built by hand (tests) or read from published results.

:class:`SettlementInputs` holds one frame per source (schemas in
:mod:`gridmarket.settlement.frames`). :func:`load_inputs` reads a trade date's
published DAM, FMM and RTD runs, Master File nodes, trades, bid segment fees,
SCIDs and marginal-loss eligibility; meter data comes in as the frame of
``gridmarket.metering.queries.settlement_meter_values`` (columns resource_id,
scid, interval_start_utc, measurement GEN/LOAD, mwh, estimated), passed as an
argument so this module does not depend on the metering area.

Example::

    meter = meter_values(frame_from_metering)          # checked and typed
    inputs = load_inputs(session, date(2020, 7, 15), meter, calendar=MarketCalendar())
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gridmarket.calendar import MarketCalendar
from gridmarket.errors import DomainError
from gridmarket.settlement import frames

_SCHEMAS: dict[str, dict[str, Any]] = {
    "intervals": frames.INTERVALS, "resources": frames.RESOURCES, "da_awards": frames.DA_AWARDS,
    "fmm_schedules": frames.FMM_SCHEDULES, "rtd_dispatch": frames.RTD_DISPATCH,
    "prices": frames.PRICES, "virtuals": frames.VIRTUALS, "meter": frames.METER,
    "trades": frames.TRADES, "segment_fees": frames.SEGMENT_FEES,
    "scid_charges": frames.SCID_CHARGES, "loss_eligible": frames.LOSS_ELIGIBLE,
}


class MeterDataUnavailable(DomainError):
    """No meter data can be read for the trade date: settlement does not assume zero."""

    http_status = 409


@dataclass(frozen=True)
class SettlementInputs:
    """Every input of the engine, as typed Polars frames (exact decimals, UTC instants).

    Example::

        inputs = SettlementInputs.of(intervals=interval_grid(cal, [day]), resources=...,
                                     prices=..., meter=...)
    """

    intervals: pl.DataFrame
    resources: pl.DataFrame
    da_awards: pl.DataFrame
    fmm_schedules: pl.DataFrame
    rtd_dispatch: pl.DataFrame
    prices: pl.DataFrame
    virtuals: pl.DataFrame
    meter: pl.DataFrame
    trades: pl.DataFrame
    segment_fees: pl.DataFrame
    scid_charges: pl.DataFrame
    loss_eligible: pl.DataFrame

    @classmethod
    def of(cls, **given: pl.DataFrame | Iterable[dict[str, Any]]) -> SettlementInputs:
        """Inputs from frames or lists of row dicts; absent sources are empty.

        Example::

            >>> SettlementInputs.of().meter.height
            0
        """
        unknown = set(given) - set(_SCHEMAS)
        if unknown:
            raise TypeError(f"unknown input(s): {sorted(unknown)}")
        built: dict[str, pl.DataFrame] = {}
        for name, schema in _SCHEMAS.items():
            value = given.get(name)
            if value is None:
                built[name] = frames.empty(schema)
            elif isinstance(value, pl.DataFrame):
                built[name] = frames.coerce(value, schema, name)
            else:
                rows = list(value)
                built[name] = (frames.coerce(pl.DataFrame(rows, infer_schema_length=None),
                                             schema, name) if rows else frames.empty(schema))
        return cls(**built)

    def with_meter(self, meter: pl.DataFrame) -> SettlementInputs:
        """The same inputs with other meter values (a recalculation's newer reads)."""
        return replace(self, meter=meter_values(meter))

    def sources(self) -> dict[str, pl.DataFrame]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def trade_dates(self) -> list[date]:
        return sorted(self.intervals["trade_date"].unique().to_list())

    def for_days(self, days: list[date]) -> SettlementInputs:
        """The rows of consecutive trade dates ``days``: by trade date, or by instant.

        Every hour, FMM and RTD interval of those days starts within the first
        and last 5-minute interval start of the days, and no other day's does.
        """
        intervals = self.intervals.filter(pl.col("trade_date").is_in(days))
        first = intervals["interval_start_utc"].min()
        last = intervals["interval_start_utc"].max()
        chosen = {}
        for name, frame in self.sources().items():
            if "trade_date" in frame.columns:
                chosen[name] = frame.filter(pl.col("trade_date").is_in(days))
            else:
                chosen[name] = frame.filter(pl.col("interval_start_utc").is_between(first, last))
        return replace(self, **chosen)


def meter_values(frame: pl.DataFrame) -> pl.DataFrame:
    """The metering area's frame, checked: columns, GEN/LOAD, no negative or float values.

    Example::

        >>> import polars as pl
        >>> from datetime import datetime, UTC
        >>> meter_values(pl.DataFrame({"resource_id": ["G1"], "scid": ["AAAA"],
        ...     "interval_start_utc": [datetime(2020, 7, 15, 7, tzinfo=UTC)],
        ...     "measurement": ["GEN"], "mwh": ["1.5"], "estimated": [False]})).height
        1
    """
    typed = frames.coerce(frame, frames.METER, "meter")
    bad = typed.filter(~pl.col("measurement").is_in(["GEN", "LOAD"]))
    if bad.height:
        raise DomainError(f"measurement must be GEN or LOAD, got {bad['measurement'][0]!r}",
                          field="meter.measurement")
    if typed.filter(pl.col("mwh") < 0).height:
        raise DomainError("meter values are MWh ≥ 0 (GEN and LOAD are separate rows)",
                          field="meter.mwh")
    return typed


def interval_grid(calendar: MarketCalendar, trade_dates: Iterable[date]) -> pl.DataFrame:
    """Every RTD interval of the trade dates with its hour and FMM interval (UTC).

    DST days have 276 or 300 rows; the hour is the DA interval containing the interval.

    Example::

        >>> from datetime import date
        >>> interval_grid(MarketCalendar(), [date(2020, 11, 1)]).height
        300
    """
    rows = []
    for day in trade_dates:
        for interval in calendar.intervals(day, "RTD"):
            start = interval.start_utc
            offset = (interval.interval_in_hour - 1) * interval.minutes
            hour_start = start - _minutes(offset)
            rows.append({"trade_date": day, "interval_start_utc": start,
                         "hour_start_utc": hour_start,
                         "fmm_start_utc": hour_start + _minutes(offset // 15 * 15)})
    return frames.coerce(pl.DataFrame(rows), frames.INTERVALS, "intervals") if rows else \
        frames.empty(frames.INTERVALS)


def _minutes(count: int) -> Any:
    from datetime import timedelta

    return timedelta(minutes=count)


def settlement_meter_frame(session: Session, trade_date: date) -> pl.DataFrame:
    """Meter values from the metering area, or :class:`MeterDataUnavailable`.

    Example::

        meter = settlement_meter_frame(session, date(2020, 7, 15))
    """
    try:
        queries = importlib.import_module("gridmarket.metering.queries")
    except ImportError as error:
        raise MeterDataUnavailable(
            "the metering area is not installed: no meter data to settle with "
            "(settlement never assumes a missing read is zero)", field="meter") from error
    frame: pl.DataFrame = queries.settlement_meter_values(session, trade_date)
    if frame.height == 0:
        raise MeterDataUnavailable(f"no meter data for {trade_date}", field="meter")
    return meter_values(frame)


def load_inputs(session: Session, trade_date: date, meter: pl.DataFrame, *,
                calendar: MarketCalendar) -> SettlementInputs:
    """The published results, Master File and bids of ``trade_date`` as engine inputs.

    Example::

        inputs = load_inputs(session, date(2020, 7, 15), meter, calendar=MarketCalendar())
    """
    from gridmarket.bidding.models import BidSegmentFee
    from gridmarket.bidding.queries import market_bids
    from gridmarket.bidding.schema import (
        BidKind,
        MarketType,
        TradeBid,
        TradeDirection,
        TradeProduct,
    )
    from gridmarket.markets.run_models import (
        DispatchInstruction,
        MarketAward,
        MarketKind,
        MarketPrice,
        MarketVirtualAward,
    )
    from gridmarket.markets.runs import published_run
    from gridmarket.participants.loss_eligibility import eligible_on
    from gridmarket.participants.models import Scid
    from gridmarket.resources.models import AggregatedNode, PricingNode, Resource

    meter = meter_values(meter)
    runs = {kind: published_run(session, trade_date, kind)
            for kind in (MarketKind.DAM, MarketKind.FMM, MarketKind.RTD)}
    run_ids = {kind: run.id for kind, run in runs.items() if run is not None}
    hours = {i.hour_ending: i.start_utc for i in calendar.intervals(trade_date, "DAM")}

    def rows(query: Any) -> list[dict[str, Any]]:
        return [dict(row._mapping) for row in session.execute(query)]

    da = rows(select(MarketAward.resource_id, MarketAward.scid, MarketAward.interval_start_utc,
                     MarketAward.energy_mw).where(MarketAward.run_id == run_ids.get(
                         MarketKind.DAM, -1)))
    fmm = rows(select(DispatchInstruction.resource_id, DispatchInstruction.scid,
                      DispatchInstruction.interval_start_utc, DispatchInstruction.dispatch_mw)
               .where(DispatchInstruction.run_id == run_ids.get(MarketKind.FMM, -1)))
    rtd = rows(select(DispatchInstruction.resource_id, DispatchInstruction.scid,
                      DispatchInstruction.interval_start_utc, DispatchInstruction.dispatch_mw,
                      DispatchInstruction.expected_energy_mwh)
               .where(DispatchInstruction.run_id == run_ids.get(MarketKind.RTD, -1)))
    prices: list[dict[str, Any]] = []
    for kind, run_id in run_ids.items():
        for row in rows(select(MarketPrice.node, MarketPrice.interval_start_utc,
                               MarketPrice.lmp_usd_per_mwh, MarketPrice.energy_usd_per_mwh,
                               MarketPrice.congestion_usd_per_mwh, MarketPrice.loss_usd_per_mwh)
                        .where(MarketPrice.run_id == run_id)):
            prices.append({"market": kind.value, "node": row["node"],
                           "interval_start_utc": row["interval_start_utc"],
                           "lmp": row["lmp_usd_per_mwh"], "energy": row["energy_usd_per_mwh"],
                           "congestion": row["congestion_usd_per_mwh"],
                           "loss": row["loss_usd_per_mwh"]})
    virtuals = rows(select(MarketVirtualAward.scid, MarketVirtualAward.location,
                           MarketVirtualAward.interval_start_utc, MarketVirtualAward.mw)
                    .where(MarketVirtualAward.run_id == run_ids.get(MarketKind.DAM, -1)))

    scid_of: dict[str, str] = {}
    for source in (da, fmm, rtd):
        for row in source:
            if row["scid"]:
                scid_of.setdefault(row["resource_id"], row["scid"])
    for resource_id, scid in meter.select("resource_id", "scid").unique().iter_rows():
        scid_of.setdefault(resource_id, scid)
    pnode, anode = aliased(PricingNode), aliased(AggregatedNode)
    node_of = {
        rid: agg or pn
        for rid, pn, agg in session.execute(
            select(Resource.resource_id, pnode.name, anode.name)
            .outerjoin(pnode, pnode.id == Resource.pricing_node_id)
            .outerjoin(anode, anode.id == Resource.aggregated_node_id)
            .where(Resource.resource_id.in_(list(scid_of))))
    }
    resources = [{"trade_date": trade_date, "resource_id": rid, "scid": scid,
                  "node": node_of.get(rid)} for rid, scid in sorted(scid_of.items())]
    unpriced = [str(r["resource_id"]) for r in resources if r["node"] is None]
    if unpriced:
        raise DomainError(f"resource(s) without a pricing node: {', '.join(unpriced[:5])}",
                          field="resources")

    trades = []
    for bid in market_bids(session, MarketType.DAM, trade_date):
        content = bid.content
        if (bid.kind is BidKind.TRADE and isinstance(content, TradeBid)
                and content.product is TradeProduct.ENERGY
                and content.direction is TradeDirection.SELL):
            for hour in content.hours:
                trades.append({"seller_scid": bid.scid, "buyer_scid": content.counterparty,
                               "location": content.location,
                               "interval_start_utc": hours[hour.hour], "mw": hour.mw})
    fees = rows(select(BidSegmentFee.trade_date, Scid.code.label("scid"), BidSegmentFee.market,
                       BidSegmentFee.segment_count)
                .join(Scid, Scid.id == BidSegmentFee.scid_id)
                .where(BidSegmentFee.trade_date == trade_date))
    for fee in fees:
        fee["market"] = str(getattr(fee["market"], "value", fee["market"]))
    scid_charges = []
    if trade_date.day == 1:
        scid_charges = [{"trade_date": trade_date, "scid": code} for code in session.scalars(
            select(Scid.code).where(Scid.granted_on <= trade_date).order_by(Scid.code))]
    eligible = [{"trade_date": trade_date, "scid": scid, "resource_id": label}
                for scid in sorted(set(scid_of.values()))
                for label in eligible_on(session, scid, trade_date)]
    return SettlementInputs.of(
        intervals=interval_grid(calendar, [trade_date]), resources=resources,
        da_awards=[{k: r[k] for k in ("resource_id", "interval_start_utc", "energy_mw")}
                   for r in da],
        fmm_schedules=[{"resource_id": r["resource_id"],
                        "interval_start_utc": r["interval_start_utc"],
                        "dispatch_mw": r["dispatch_mw"]} for r in fmm],
        rtd_dispatch=[{k: r[k] for k in ("resource_id", "interval_start_utc", "dispatch_mw",
                                         "expected_energy_mwh")} for r in rtd],
        prices=prices, virtuals=virtuals, meter=meter, trades=trades, segment_fees=fees,
        scid_charges=scid_charges, loss_eligible=eligible,
    )


ZERO = Decimal(0)
