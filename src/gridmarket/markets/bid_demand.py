"""Demand, virtual and storage tables of a market run from clean bids.

* **Load.** Each Master File ``LOAD`` resource sits at an aggregated node (a
  DLAP). Its energy bid is demand: the self-schedule is price-taking (fixed)
  demand, the breakpoints (from 0 MW, prices non-increasing) price-sensitive
  segments. Both are spread over the node's member buses by their weights:
  one demand row ``<resource>@<bus>`` per member bus, with zeros in hours
  without a bid (so the ISO's forecast for RUC fits the same rows).
* **Virtual bids** at a pricing node become one row at its bus; at an
  aggregated node one row per member bus with the MW spread by weight (each
  part clears against its own bus's LMP: an approximation of a single bid
  cleared against the weighted average price).
* **Storage** (a ``STORAGE`` resource with an energy bid) takes its energy
  limits and efficiency from the ISO's source data; it discharges at the
  price of its bid's first segment and charges when the price is at or below
  zero; hours without a bid have no charge or discharge capacity.

Example::

    demand, rows = load_demand(loads, energy_bids, n_periods=24)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gridmarket.bidding.schema import EnergyBid, VirtualBid, VirtualSide
from gridmarket.clearing import DemandBids, Storage, VirtualBids
from gridmarket.markets.bid_offers import merged_hours
from gridmarket.network.rts_gmlc import RtsSystem


@dataclass(frozen=True)
class LoadPoint:
    """A load resource and the weights of its aggregated node's buses (summing to 1)."""

    resource_id: str
    node: str
    area: int | None
    bus_weights: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class DemandRow:
    """One demand row: which load resource, at which bus, with which share."""

    resource_id: str
    bus_id: str
    weight: float


@dataclass(frozen=True)
class VirtualRow:
    """One virtual bid row: which bid (id, SCID, location), at which bus, with which share."""

    bid_id: int
    scid: str
    location: str
    bus_id: str
    weight: float
    is_supply: bool


def load_demand(
    loads: Sequence[LoadPoint],
    energy_bids: Mapping[str, Sequence[EnergyBid]],
    *,
    n_periods: int,
) -> tuple[DemandBids, list[DemandRow]]:
    """Demand rows of every load resource, from its bids (zero where it did not bid)."""
    rows = [DemandRow(load.resource_id, bus, weight)
            for load in loads for bus, weight in load.bus_weights]
    n = len(rows)
    segments = max([1, *(len(h.segments) for bids in energy_bids.values() for b in bids
                         for h in b.hours)])
    fixed = np.zeros((n, n_periods))
    width = np.zeros((n, n_periods, segments))
    price = np.zeros((n, n_periods, segments))
    for r, row in enumerate(rows):
        hours = merged_hours(energy_bids.get(row.resource_id, ()))
        for hour_ending, (hour, _basis) in hours.items():
            t = hour_ending - 1
            if t >= n_periods:
                continue
            fixed[r, t] = float(hour.self_schedule_mw or 0) * row.weight
            previous = 0.0
            for k, segment in enumerate(hour.segments):
                end = max(float(segment.mw), previous)
                width[r, t, k] = (end - previous) * row.weight
                price[r, t, k] = float(segment.price)
                previous = end
            if hour.segments:
                price[r, t, len(hour.segments):] = float(hour.segments[-1].price)
    demand = DemandBids.create(
        [f"{row.resource_id}@{row.bus_id}" for row in rows],
        [row.bus_id for row in rows],
        n_periods,
        fixed_mw=fixed,
        bid_mw=width,
        bid_price_usd_per_mwh=price,
    )
    return demand, rows


def forecast_demand(rows: Sequence[DemandRow], loads: Sequence[LoadPoint],
                    area_load_mw: Mapping[int, np.ndarray], n_periods: int) -> np.ndarray:
    """The ISO's area load forecast on the demand rows ``(row, period)`` (for RUC)."""
    area_of = {load.resource_id: load.area for load in loads}
    out = np.zeros((len(rows), n_periods))
    for r, row in enumerate(rows):
        area = area_of[row.resource_id]
        if area is not None and area in area_load_mw:
            out[r] = area_load_mw[area][:n_periods] * row.weight
    return out


def virtual_bids(
    bids: Sequence[tuple[int, str, VirtualBid]],
    locations: Mapping[str, tuple[tuple[str, float], ...]],
    *,
    n_periods: int,
) -> tuple[VirtualBids | None, list[VirtualRow]]:
    """Virtual bid rows from ``(bid id, SCID, bid)``; ``locations`` maps a node to its buses."""
    rows: list[VirtualRow] = []
    sources: list[VirtualBid] = []
    for bid_id, scid, bid in bids:
        for bus, weight in locations[bid.location]:
            rows.append(VirtualRow(bid_id, scid, bid.location, bus, weight,
                                   bid.side is VirtualSide.SUPPLY))
            sources.append(bid)
    if not rows:
        return None, rows
    segments = max(len(h.segments) for bid in sources for h in bid.hours)
    width = np.zeros((len(rows), n_periods, segments))
    price = np.zeros((len(rows), n_periods, segments))
    for r, (row, bid) in enumerate(zip(rows, sources, strict=True)):
        for hour in bid.hours:
            t = hour.hour - 1
            if t >= n_periods:
                continue
            previous = 0.0
            for k, segment in enumerate(hour.segments):
                end = max(float(segment.mw), previous)
                width[r, t, k] = (end - previous) * row.weight
                price[r, t, k] = float(segment.price)
                previous = end
            price[r, t, len(hour.segments):] = float(hour.segments[-1].price)
        # Hours without a bid: zero widths, prices flat (monotone either way).
        for t in range(n_periods):
            if not np.any(width[r, t]):
                price[r, t] = price[r, t].max() if row.is_supply else price[r, t].min()
    table = VirtualBids.create(
        [f"V{row.bid_id}@{row.bus_id}" for row in rows],
        [row.bus_id for row in rows],
        n_periods,
        is_supply=[row.is_supply for row in rows],
        bid_mw=width,
        bid_price_usd_per_mwh=price,
    )
    return table, rows


def storage_table(
    system: RtsSystem,
    energy_bids: Mapping[str, Sequence[EnergyBid]],
    bus_of: Mapping[str, str],
    *,
    n_periods: int,
) -> Storage | None:
    """The batteries with an energy bid (see the module description)."""
    batteries = [s for s in system.storage
                 if s.unit_type == "STORAGE" and s.gen_uid in energy_bids and s.gen_uid in bus_of]
    if not batteries:
        return None
    n = len(batteries)
    charge = np.zeros((n, n_periods))
    discharge = np.zeros((n, n_periods))
    offer = np.zeros((n, n_periods))
    for i, battery in enumerate(batteries):
        for hour_ending, (hour, _basis) in merged_hours(energy_bids[battery.gen_uid]).items():
            t = hour_ending - 1
            if t >= n_periods:
                continue
            charge[i, t] = battery.charge_mw
            discharge[i, t] = battery.discharge_mw
            offer[i, t] = float(hour.segments[0].price) if hour.segments else 0.0
    efficiency = [float(np.sqrt(s.roundtrip_efficiency)) if s.roundtrip_efficiency else 1.0
                  for s in batteries]
    return Storage.create(
        [s.gen_uid for s in batteries],
        [bus_of[s.gen_uid] for s in batteries],
        n_periods,
        charge_max_mw=charge,
        discharge_max_mw=discharge,
        energy_max_mwh=[s.max_energy_mwh for s in batteries],
        initial_energy_mwh=[s.initial_energy_mwh for s in batteries],
        final_energy_min_mwh=[s.initial_energy_mwh for s in batteries],
        charge_efficiency=efficiency,
        discharge_efficiency=efficiency,
        discharge_price_usd_per_mwh=offer,
    )
