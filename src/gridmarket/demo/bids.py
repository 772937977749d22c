"""The demo SCs' bid sets for a trade day, built from the data set's costs and forecasts.

Each SC bids what it represents, as a participant would from its own data:

* thermal units and peakers offer their registered incremental cost curve
  above Pmin (a unit without a curve above Pmin self-schedules Pmin), and
  regulation/spinning reserve where certified, at small capacity prices;
* wind, utility PV and CSP offer their day-ahead forecast at $0; hydro and
  rooftop PV, which the data set treats as must-take, self-schedule it;
* load-serving SCs self-schedule their area's load forecast at its DLAP;
* the virtual trader places virtual demand and supply at DLAPs;
* two load-serving SCs agree an inter-SC energy trade and both submit it.

The storage operator's battery is scheduled by the ISO from its Master File
data (see ``docs/market-runs.md``), so it submits no bid here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from gridmarket.calendar import MarketCalendar
from gridmarket.config import MarketParameters
from gridmarket.demo.scenario import DEMO_COORDINATORS
from gridmarket.markets.forecasts import forecast_frame
from gridmarket.markets.models import ForecastHorizon, ForecastKind
from gridmarket.network.queries import network_model
from gridmarket.participants.models import Scid
from gridmarket.resources.models import Resource, ResourceAssignment, ResourceType

MUST_TAKE = frozenset({"Hydro", "Solar RTPV"})
RESERVE_RESPONSE_MINUTES = Decimal(10)
REGULATION_PRICE = Decimal("4.00")
SPINNING_PRICE = Decimal("2.00")
MW = Decimal("0.001")
CENT = Decimal("0.01")
VIRTUAL_TRADER = "CVGT"
TRADE = ("MPPA", "BESC", "DLAP_AREA1-APND", Decimal("50"))
"""Seller, buyer, location and MW of the demo's inter-SC trade."""


def demo_bid_sets(
    session: Session, trade_date: date, parameters: MarketParameters, model_name: str
) -> list[dict[str, Any]]:
    """One DAM bid set (JSON-ready) per demo SC that bids on ``trade_date``.

    A resource that has moved to an SC outside the demo's cast (a market
    entrant's, say) is that SC's to bid, not the demo's.
    """
    calendar = MarketCalendar(parameters)
    hours = list(range(1, calendar.hours_in_day(trade_date) + 1))
    forecasts = _forecasts(session, trade_date, calendar, model_name)
    cast = {c.scid for c in DEMO_COORDINATORS}
    bids_by_scid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource, scid in _assigned_resources(session, calendar.trade_day_start_utc(trade_date)):
        if scid not in cast:
            continue
        for bid in _bids_for(resource, hours, forecasts):
            bids_by_scid[scid].append(bid)
    bids_by_scid[VIRTUAL_TRADER].extend(_virtual_bids(hours))
    seller, buyer, location, mw = TRADE
    for scid, counterparty, direction in ((seller, buyer, "SELL"), (buyer, seller, "BUY")):
        bids_by_scid[scid].append({
            "kind": "TRADE", "counterparty": counterparty, "location": location,
            "product": "ENERGY", "direction": direction,
            "hours": [{"hour": h, "mw": str(mw)} for h in hours]})
    return [
        {"scid": scid, "market": "DAM", "trade_date": trade_date.isoformat(), "bids": bids}
        for scid, bids in sorted(bids_by_scid.items()) if bids
    ]


def _forecasts(session: Session, trade_date: date, calendar: MarketCalendar, model_name: str
               ) -> dict[tuple[str, str], list[Decimal]]:
    """Hourly day-ahead forecasts by (kind, object), in hour order."""
    frame = forecast_frame(session, network_model(session, model_name),
                           ForecastHorizon.DAY_AHEAD, calendar.trade_day_start_utc(trade_date),
                           calendar.trade_day_end_utc(trade_date))
    series: dict[tuple[str, str], list[Decimal]] = {}
    for (kind, object_id), part in frame.sort("interval_start_utc").group_by(
            ["kind", "object_id"], maintain_order=True):
        values = part.get_column("value_mw").cast(pl.Float64).to_list()
        series[(str(kind), str(object_id))] = [
            Decimal(str(max(v, 0.0))).quantize(MW) for v in values]
    return series


def _assigned_resources(session: Session, day_start: Any) -> list[tuple[Resource, str]]:
    rows = session.execute(
        select(Resource, Scid.code)
        .join(ResourceAssignment, ResourceAssignment.resource_pk == Resource.id)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .options(selectinload(Resource.cost_segments), joinedload(Resource.aggregated_node))
        .where(ResourceAssignment.effective_from_utc <= day_start,
               (ResourceAssignment.effective_to_utc.is_(None))
               | (ResourceAssignment.effective_to_utc > day_start))
        .order_by(Resource.resource_id)
    ).all()
    return [(resource, code) for resource, code in rows]


def _bids_for(resource: Resource, hours: list[int],
              forecasts: dict[tuple[str, str], list[Decimal]]) -> list[dict[str, Any]]:
    if resource.resource_type == ResourceType.LOAD:
        area = resource.aggregated_node.area if resource.aggregated_node else None
        load = forecasts.get((ForecastKind.AREA_LOAD.value, str(area)))
        return [_self_schedule(resource.resource_id, hours, load)] if load else []
    if resource.resource_type != ResourceType.GENERATOR or resource.p_max_mw <= 0:
        return []
    if resource.is_variable:
        available = forecasts.get((ForecastKind.RESOURCE_PMAX.value, resource.resource_id))
        if available is None:
            return []
        available = [min(v, resource.p_max_mw) for v in available]
        if resource.category in MUST_TAKE:
            return [_self_schedule(resource.resource_id, hours, available)]
        return [_forecast_offer(resource.resource_id, hours, available)]
    return [bid for bid in (_cost_offer(resource, hours), _reserve_offer(resource, hours)) if bid]


def _self_schedule(resource_id: str, hours: list[int], mw: list[Decimal]) -> dict[str, Any]:
    return {"kind": "ENERGY", "resource": resource_id, "hours": [
        {"hour": h, "self_schedule_mw": str(mw[h - 1]), "self_schedule_type": "PT"}
        for h in hours]}


def _forecast_offer(resource_id: str, hours: list[int], mw: list[Decimal]) -> dict[str, Any]:
    return {"kind": "ENERGY", "resource": resource_id, "hours": [
        {"hour": h, "segments": [{"mw": str(mw[h - 1]), "price": "0"}]} if mw[h - 1] > 0
        else {"hour": h, "self_schedule_mw": "0", "self_schedule_type": "PT"}
        for h in hours]}


def _cost_offer(resource: Resource, hours: list[int]) -> dict[str, Any] | None:
    """The registered cost curve above Pmin, prices kept non-decreasing."""
    curve: list[dict[str, str]] = []
    highest = Decimal("-Infinity")
    for step in resource.cost_segments:
        if step.mw_to <= resource.p_min_mw:
            continue
        highest = max(highest, step.price_usd_per_mwh.quantize(CENT))
        curve.append({"mw": str(min(step.mw_to, resource.p_max_mw)), "price": str(highest)})
    if not curve:
        hour_fields: dict[str, Any] = {"self_schedule_mw": str(resource.p_min_mw),
                                       "self_schedule_type": "PT"}
    else:
        hour_fields = {"segments": curve[:10]}
    return {"kind": "ENERGY", "resource": resource.resource_id,
            "hours": [{"hour": h, **hour_fields} for h in hours]}


def _reserve_offer(resource: Resource, hours: list[int]) -> dict[str, Any] | None:
    reach = min(resource.ramp_rate_mw_per_min * RESERVE_RESPONSE_MINUTES,
                resource.p_max_mw - resource.p_min_mw).quantize(MW)
    offers = []
    if resource.certified_regulation and reach > 0:
        offers += [{"product": p, "mw": str(reach), "price": str(REGULATION_PRICE)}
                   for p in ("REG_UP", "REG_DOWN")]
    if resource.certified_spinning and reach > 0:
        offers.append({"product": "SPIN", "mw": str(reach), "price": str(SPINNING_PRICE)})
    if not offers:
        return None
    return {"kind": "ANCILLARY", "resource": resource.resource_id,
            "hours": [{"hour": h, "offers": offers} for h in hours]}


def _virtual_bids(hours: list[int]) -> list[dict[str, Any]]:
    """Virtual demand in area 1 over the evening peak, virtual supply in area 3 overnight."""
    evening = [h for h in hours if 17 <= h <= 21]
    night = [h for h in hours if h <= 5]
    return [
        {"kind": "VIRTUAL", "location": "DLAP_AREA1-APND", "side": "DEMAND", "hours": [
            {"hour": h, "segments": [{"mw": "10", "price": "45"}, {"mw": "20", "price": "35"}]}
            for h in evening]},
        {"kind": "VIRTUAL", "location": "DLAP_AREA3-APND", "side": "SUPPLY", "hours": [
            {"hour": h, "segments": [{"mw": "15", "price": "18"}]} for h in night]},
    ]


REAL_TIME_BIDDER = "SPKR"
REAL_TIME_HOURS = range(17, 21)
REAL_TIME_PRICE_FACTOR = Decimal("0.9")


def demo_real_time_bid_set(
    session: Session, trade_date: date, parameters: MarketParameters, model_name: str
) -> dict[str, Any]:
    """The peaker SC re-offers its units 10 % cheaper for the evening peak in real time."""
    day_ahead = next(s for s in demo_bid_sets(session, trade_date, parameters, model_name)
                     if s["scid"] == REAL_TIME_BIDDER)
    bids = []
    for bid in day_ahead["bids"]:
        if bid["kind"] != "ENERGY":
            continue
        hours = [_cheaper(h) for h in bid["hours"] if h["hour"] in REAL_TIME_HOURS]
        if hours:
            bids.append({**bid, "hours": hours})
    return {**day_ahead, "market": "RTM", "bids": bids}


def _cheaper(hour: dict[str, Any]) -> dict[str, Any]:
    segments = [{**s, "price": str((Decimal(s["price"]) * REAL_TIME_PRICE_FACTOR)
                                   .quantize(CENT))} for s in hour.get("segments", [])]
    return {**hour, "segments": segments} if segments else hour
