"""Unit offers of a market run from clean energy and ancillary service bids.

Each generating resource with an energy bid takes part in the hours its bid
covers; every other hour (and every resource without a bid) it is
unavailable. Per hour:

* the bid's breakpoints (from Pmin) become the step offer curve above Pmin;
  Pmax is the last breakpoint (or the self-schedule, if higher), capped by
  the Master File Pmax and, for a variable resource, by the ISO's forecast;
* a self-schedule becomes ``self_schedule_mw`` of its type (a unit has one
  type: the highest priority among its hours);
* ancillary service bids become reserve offers, only for products the
  resource is certified for, within the unit's range;
* start-up and minimum-load costs are the Master File's (``REGISTERED``) or
  the proxy costs (``PROXY``): hot start heat × fuel price × adder + non-fuel
  start cost, and average heat rate at the first output point × that output ×
  fuel price × adder. A unit without heat-rate data in the ISO's source data
  (``HR_avg_0`` or start heat of 0) falls back to its registered costs.

Example::

    offers = unit_offers(facts, energy_bids, ancillary_bids, n_periods=24,
                         forecast=series, rules=parameters.bids)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gridmarket.bidding.schema import (
    AncillaryBid,
    AncillaryProduct,
    CostBasis,
    EnergyBid,
    EnergyHour,
)
from gridmarket.clearing import ReserveProduct, UnitOffers
from gridmarket.clearing.inputs.units import NO_SELF_SCHEDULE
from gridmarket.config import BidRules
from gridmarket.markets.rts_gmlc_case import MAX_SEGMENTS, QUICK_START, STARTS_ON, SeriesTable
from gridmarket.network.rts_gmlc import Generator
from gridmarket.resources.models import Resource

PRODUCT_INDEX = {
    AncillaryProduct.REG_UP: ReserveProduct.REG_UP,
    AncillaryProduct.REG_DOWN: ReserveProduct.REG_DOWN,
    AncillaryProduct.SPIN: ReserveProduct.SPIN,
    AncillaryProduct.NON_SPIN: ReserveProduct.NON_SPIN,
}


@dataclass(frozen=True)
class UnitFacts:
    """What the ISO knows of a generating resource: Master File row, bus, source data."""

    resource: Resource
    bus_id: str
    generator: Generator | None
    """The RTS-GMLC source row (heat rates, start heat), if the resource is one of it."""


def certified(resource: Resource, product: AncillaryProduct) -> bool:
    """Whether the Master File certifies ``resource`` for ``product``.

    Example::

        certified(resource, AncillaryProduct.SPIN)  # resource.certified_spinning
    """
    if product in (AncillaryProduct.REG_UP, AncillaryProduct.REG_DOWN):
        return resource.certified_regulation
    if product is AncillaryProduct.SPIN:
        return resource.certified_spinning
    return resource.certified_non_spinning


def merged_hours(bids: Sequence[EnergyBid]) -> dict[int, tuple[EnergyHour, CostBasis]]:
    """Hour ending → (hour of the bid, its cost basis), over the clean bids of one resource."""
    hours: dict[int, tuple[EnergyHour, CostBasis]] = {}
    for bid in bids:
        for hour in bid.hours:
            hours[hour.hour] = (hour, bid.cost_basis)
    return hours


def commitment_costs(facts: UnitFacts, basis: CostBasis, rules: BidRules) -> tuple[float, float]:
    """(start-up cost $, minimum-load cost $/h) under ``basis`` (see the module description).

    The minimum-load cost is capped at ``min_load_cost_cap_usd_per_mwh`` × Pmin.
    """
    startup, min_load = _commitment_costs(facts, basis, rules)
    cap = float(rules.min_load_cost_cap_usd_per_mwh) * float(facts.resource.p_min_mw)
    return startup, min(min_load, cap)


def _commitment_costs(facts: UnitFacts, basis: CostBasis, rules: BidRules
                      ) -> tuple[float, float]:
    resource = facts.resource
    registered = (float(resource.startup_cost_usd), float(resource.min_load_cost_usd_per_hour))
    if resource.is_variable:
        return 0.0, 0.0
    unit = facts.generator
    if basis is CostBasis.REGISTERED or unit is None:
        return registered
    fuel = resource.fuel_price_usd_per_mmbtu
    if (fuel is None or unit.heat_rate_avg_0_btu_per_kwh <= 0 or not unit.heat_rate_output_mw
            or unit.start_heat_hot_mmbtu <= 0):
        return registered
    adder = float(rules.proxy_cost_adder)
    fuel_price = float(fuel)
    startup = unit.start_heat_hot_mmbtu * fuel_price * adder + unit.non_fuel_start_cost_usd
    first_point = unit.heat_rate_output_mw[0]
    min_load = unit.heat_rate_avg_0_btu_per_kwh * first_point * fuel_price * adder / 1000.0
    return startup, min_load


def unit_offers(
    facts: Sequence[UnitFacts],
    energy_bids: Mapping[str, Sequence[EnergyBid]],
    ancillary_bids: Mapping[str, Sequence[AncillaryBid]],
    *,
    period_hour: np.ndarray,
    period_minutes: float,
    forecast: SeriesTable,
    rules: BidRules,
    with_reserves: bool = True,
) -> UnitOffers:
    """The :class:`UnitOffers` of ``facts`` (every resource here has an energy bid).

    ``period_hour`` gives each period's hour of the trade day (0 = HE1): hourly
    periods for the DAM, twelve 5-minute or four 15-minute periods per hour in
    real time; ``forecast`` has one value per period.
    """
    n = len(facts)
    n_periods = int(period_hour.size)
    segments = max([MAX_SEGMENTS, *(len(h.segments) for bids in energy_bids.values()
                                    for b in bids for h in b.hours)])
    p_min = np.zeros((n, n_periods))
    p_max = np.zeros((n, n_periods))
    width = np.zeros((n, n_periods, segments))
    price = np.zeros((n, n_periods, segments))
    available = np.zeros((n, n_periods), dtype=bool)
    self_schedule = np.zeros((n, n_periods))
    kinds = [NO_SELF_SCHEDULE] * n
    reserve_mw = np.zeros((n, n_periods, len(ReserveProduct)))
    reserve_price = np.zeros((n, n_periods, len(ReserveProduct)))
    startup = np.zeros(n)
    min_load = np.zeros((n, n_periods))
    priority = list(rules.self_schedule_priority)
    for i, fact in enumerate(facts):
        resource = fact.resource
        hours = merged_hours(energy_bids[resource.resource_id])
        cap = float(resource.p_max_mw)
        outlook = forecast.get("resource_pmax", resource.resource_id)
        floor = float(resource.p_min_mw)
        for hour_ending, (hour, basis) in hours.items():
            periods = np.flatnonzero(period_hour == hour_ending - 1)
            if periods.size == 0:
                continue
            limit = np.full(periods.size, cap)
            if outlook is not None:
                limit = np.minimum(limit, outlook[periods])
            limit = np.maximum(limit, 0.0)
            low = np.minimum(floor, limit)
            points = np.minimum(np.array([[float(s.mw) for s in hour.segments]]).reshape(1, -1),
                                limit[:, None])
            ss = np.minimum(float(hour.self_schedule_mw or 0), limit)
            top = np.maximum(np.maximum(low, ss), points.max(axis=1, initial=0.0))
            p_min[i, periods], p_max[i, periods] = low, top
            previous = low
            for k, segment in enumerate(hour.segments):
                end = np.maximum(points[:, k], previous)
                width[i, periods, k] = end - previous
                price[i, periods, k] = float(segment.price)
                previous = end
            if hour.segments:
                price[i, periods, len(hour.segments):] = float(hour.segments[-1].price)
            available[i, periods] = top > 0
            self_schedule[i, periods] = ss
            if hour.self_schedule_type is not None and float(hour.self_schedule_mw or 0) > 0:
                kind = hour.self_schedule_type.value
                if kinds[i] == NO_SELF_SCHEDULE or priority.index(kind) > priority.index(kinds[i]):
                    kinds[i] = kind
            up, load = commitment_costs(fact, basis, rules)
            startup[i] = max(startup[i], up)
            min_load[i, periods] = load
        if with_reserves:
            _reserve_offers(i, resource, ancillary_bids.get(resource.resource_id, ()),
                            period_hour, p_min, p_max, available, reserve_mw, reserve_price)
    thermal = np.array([not f.resource.is_variable for f in facts], dtype=bool)
    ramp = np.array([float(f.resource.ramp_rate_mw_per_min) for f in facts])
    floor_static = np.array([float(f.resource.p_min_mw) for f in facts])
    initial_on = np.array([
        bool(thermal[i] and floor_static[i] > 0 and available[i, 0]
             and f.resource.category in STARTS_ON)
        for i, f in enumerate(facts)
    ], dtype=bool)
    transition = np.maximum(floor_static, ramp * period_minutes)
    return UnitOffers.create(
        [f.resource.resource_id for f in facts],
        [f.bus_id for f in facts],
        n_periods,
        p_min_mw=p_min,
        p_max_mw=p_max,
        offer_mw=width,
        offer_price_usd_per_mwh=price,
        ramp_up_mw_per_min=np.where(thermal, np.maximum(ramp, 1e-3), np.inf),
        startup_ramp_mw=np.maximum(transition, p_min.max(axis=1, initial=0.0)),
        shutdown_ramp_mw=np.maximum(transition, p_min.max(axis=1, initial=0.0)),
        min_up_periods=[max(round(f.resource.min_up_hours * 60 / period_minutes), 1)
                        for f in facts],
        min_down_periods=[max(round(f.resource.min_down_hours * 60 / period_minutes), 1)
                          for f in facts],
        startup_cost_usd=np.where(thermal, startup, 0.0),
        min_load_cost_usd_per_h=np.where(thermal[:, None], min_load, 0.0),
        available=available,
        initial_on=initial_on,
        initial_output_mw=np.where(initial_on, p_min[:, 0], 0.0),
        reserve_offer_mw=reserve_mw,
        reserve_price_usd_per_mw=reserve_price,
        quick_start=[f.resource.category in QUICK_START for f in facts],
        self_schedule_mw=self_schedule,
        self_schedule_type=kinds,
    )


def _reserve_offers(
    i: int,
    resource: Resource,
    bids: Sequence[AncillaryBid],
    period_hour: np.ndarray,
    p_min: np.ndarray,
    p_max: np.ndarray,
    available: np.ndarray,
    reserve_mw: np.ndarray,
    reserve_price: np.ndarray,
) -> None:
    for bid in bids:
        for hour in bid.hours:
            periods = np.flatnonzero((period_hour == hour.hour - 1) & available[i])
            if periods.size == 0:
                continue
            for offer in hour.offers:
                if not certified(resource, offer.product):
                    continue
                product = PRODUCT_INDEX[offer.product]
                room = p_max[i, periods] - p_min[i, periods]
                if product is ReserveProduct.NON_SPIN:
                    room = p_max[i, periods]
                reserve_mw[i, periods, product] = np.minimum(float(offer.mw), room)
                reserve_price[i, periods, product] = float(offer.price)
