"""The rows a run publishes, rounded once, and their digest.

**Rounding.** Every published number is rounded half-even to 6 decimal
places (1e-6 MW, 1e-6 $/MWh: the precision of the ``NUMERIC(16,6)``
columns), and ``-0`` is written as ``0``. Prices are published as their
parts — energy (SMEC), congestion (MCC), loss (MCL), each rounded — and the
LMP is the exact sum of the rounded parts, so ``LMP = energy + congestion +
loss`` holds exactly in every row (it differs from the unrounded LMP by at
most 1.5e-6). An aggregated node's parts are the weighted averages of its
buses' parts.

**Digest.** :func:`result_digest` is the SHA-256 of the sorted canonical
lines of all published rows (awards, prices, reserve prices, virtual awards,
dispatch instructions, binding branches; ids of the database rows excluded). The same input
solved again gives the same digest; a stored row changed afterwards does not.

Example::

    rows = published_rows(inp, mapping, SolvedDay.from_result(result), market="DAM")
    rows.digest()
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np

from gridmarket.clearing import ClearingInput, ReserveProduct
from gridmarket.markets.solved_day import PublicationMap, SolvedDay, aggregated_parts

PLACES = 6
ZERO = Decimal("0.000000")
AWARD_FIELDS = ("resource_id", "scid", "interval_start_utc", "energy_mw", "reg_up_mw",
                "reg_down_mw", "spin_mw", "non_spin_mw", "committed", "started")
PRICE_FIELDS = ("node", "interval_start_utc", "lmp_usd_per_mwh", "energy_usd_per_mwh",
                "congestion_usd_per_mwh", "loss_usd_per_mwh", "carried_forward")
RESERVE_FIELDS = ("zone", "product", "interval_start_utc", "price_usd_per_mw", "carried_forward")
VIRTUAL_FIELDS = ("bid_id", "scid", "location", "interval_start_utc", "mw")
DISPATCH_FIELDS = ("resource_id", "scid", "interval_start_utc", "interval_minutes",
                   "dispatch_mw", "expected_energy_mwh", "carried_forward")
BINDING_FIELDS = ("branch", "interval_start_utc", "flow_mw", "limit_mw",
                  "shadow_price_usd_per_mwh", "carried_forward")
TABLE_FIELDS = {
    "award": AWARD_FIELDS,
    "price": PRICE_FIELDS,
    "reserve_price": RESERVE_FIELDS,
    "virtual_award": VIRTUAL_FIELDS,
    "dispatch": DISPATCH_FIELDS,
    "binding_branch": BINDING_FIELDS,
}


def rounded(values: np.ndarray) -> list[Decimal]:
    """Floats as Decimals rounded half-even to 6 places, ``-0`` as ``0``.

    Example::

        >>> rounded(np.array([1.23456789, -1e-9]))
        [Decimal('1.234568'), Decimal('0.000000')]
    """
    out = []
    for value in np.round(np.asarray(values, dtype=np.float64).reshape(-1), PLACES):
        number = Decimal(f"{value:.{PLACES}f}")
        out.append(ZERO if number == 0 else number)
    return out


@dataclass
class PublishedRows:
    """Rows per table, as dicts of column values (without the run id)."""

    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLE_FIELDS})

    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.lines()).encode()).hexdigest()

    def lines(self) -> list[str]:
        """Canonical lines of every row, sorted."""
        return sorted(canonical_line(name, row) for name, rows in self.tables.items()
                      for row in rows)

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def canonical_line(table: str, row: dict[str, Any]) -> str:
    """``table|value|value...`` in the table's field order, values in canonical text."""
    return "|".join([table, *(_text(row[name]) for name in TABLE_FIELDS[table])])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        text = f"{value:.{PLACES}f}"
        return "0.000000" if Decimal(text) == 0 else text
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def published_rows(inp: ClearingInput, mapping: PublicationMap, day: SolvedDay, *,
                   dispatch: bool = False, prices: bool = True) -> PublishedRows:
    """The rows of a solved run: awards (or dispatch instructions in real time) and prices."""
    rows = PublishedRows()
    instants = mapping.instants()
    if dispatch:
        rows.tables["dispatch"] = _dispatch(inp, mapping, day, instants)
    else:
        rows.tables["award"] = _awards(inp, mapping, day, instants)
        rows.tables["virtual_award"] = _virtual_awards(mapping, day, instants)
    if prices:
        rows.tables["price"] = _prices(inp, mapping, day, instants)
        rows.tables["reserve_price"] = _reserve_prices(inp, day, instants)
        rows.tables["binding_branch"] = _binding_branches(inp, day, instants)
    return rows


def _awards(inp: ClearingInput, mapping: PublicationMap, day: SolvedDay,
            instants: list[datetime]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    nt = len(instants)
    units = inp.units.unit_ids.tolist()
    energy = rounded(day.output_mw)
    awards = {p: rounded(day.reserve_award_mw[:, :, p]) for p in ReserveProduct}
    for i, unit in enumerate(units):
        for t in range(nt):
            k = i * nt + t
            out.append({
                "resource_id": unit, "scid": mapping.unit_scid.get(unit),
                "interval_start_utc": instants[t], "energy_mw": energy[k],
                "reg_up_mw": awards[ReserveProduct.REG_UP][k],
                "reg_down_mw": awards[ReserveProduct.REG_DOWN][k],
                "spin_mw": awards[ReserveProduct.SPIN][k],
                "non_spin_mw": awards[ReserveProduct.NON_SPIN][k],
                "committed": bool(day.commitment[i, t]), "started": bool(day.startup[i, t]),
            })
    if inp.storage is not None:
        net = rounded(day.storage_net_mw)
        for i, storage in enumerate(inp.storage.storage_ids.tolist()):
            for t in range(nt):
                out.append(_plain_award(storage, mapping.storage_scid.get(storage), instants[t],
                                        net[i * nt + t]))
    # Loads: cleared demand per load resource (the sum over its buses), negative.
    resources = sorted(set(mapping.demand_resource))
    for resource in resources:
        rows = [r for r, name in enumerate(mapping.demand_resource) if name == resource]
        served = -day.demand_served_mw[rows].sum(axis=0)
        cleared = rounded(served)
        for t in range(nt):
            out.append(_plain_award(resource, mapping.load_scid.get(resource), instants[t],
                                    cleared[t]))
    return out


def _plain_award(resource: str, scid: str | None, instant: datetime,
                 energy: Decimal) -> dict[str, Any]:
    return {"resource_id": resource, "scid": scid, "interval_start_utc": instant,
            "energy_mw": energy, "reg_up_mw": ZERO, "reg_down_mw": ZERO, "spin_mw": ZERO,
            "non_spin_mw": ZERO, "committed": energy != 0, "started": False}


def _virtual_awards(mapping: PublicationMap, day: SolvedDay,
                    instants: list[datetime]) -> list[dict[str, Any]]:
    by_bid: dict[tuple[int, str, str], np.ndarray] = {}
    for r, (bid_id, scid, location, is_supply) in enumerate(mapping.virtual_rows):
        signed = day.virtual_award_mw[r] * (1.0 if is_supply else -1.0)
        key = (bid_id, scid, location)
        by_bid[key] = by_bid[key] + signed if key in by_bid else signed
    out = []
    for (bid_id, scid, location), mw in sorted(by_bid.items()):
        for t, value in enumerate(rounded(mw)):
            out.append({"bid_id": bid_id, "scid": scid, "location": location,
                        "interval_start_utc": instants[t], "mw": value})
    return out


def _prices(inp: ClearingInput, mapping: PublicationMap, day: SolvedDay,
            instants: list[datetime]) -> list[dict[str, Any]]:
    nt = len(instants)
    smec = rounded(day.smec)
    names = [mapping.bus_node.get(b, b) for b in inp.network.bus_ids.tolist()]
    mcc, mcl = day.mcc, day.mcl
    agg_mcc, agg_mcl = aggregated_parts(inp, day)
    if inp.aggregated_nodes is not None:
        names += inp.aggregated_nodes.node_ids.tolist()
        mcc = np.vstack([mcc, agg_mcc])
        mcl = np.vstack([mcl, agg_mcl])
    congestion, loss = rounded(mcc), rounded(mcl)
    out = []
    for n, name in enumerate(names):
        for t in range(nt):
            k = n * nt + t
            out.append({
                "node": name, "interval_start_utc": instants[t],
                "lmp_usd_per_mwh": smec[t] + congestion[k] + loss[k],
                "energy_usd_per_mwh": smec[t], "congestion_usd_per_mwh": congestion[k],
                "loss_usd_per_mwh": loss[k], "carried_forward": bool(day.carried_forward[t]),
            })
    return out


def _reserve_prices(inp: ClearingInput, day: SolvedDay,
                    instants: list[datetime]) -> list[dict[str, Any]]:
    if inp.reserves is None:
        return []
    zones = inp.reserves.zone_ids.tolist()
    out = []
    for product in ReserveProduct:
        values = rounded(day.reserve_price[product])
        nt = len(instants)
        for z, zone in enumerate(zones):
            for t in range(nt):
                out.append({"zone": zone, "product": product.name,
                            "interval_start_utc": instants[t],
                            "price_usd_per_mw": values[z * nt + t],
                            "carried_forward": bool(day.carried_forward[t])})
    return out


def _binding_branches(inp: ClearingInput, day: SolvedDay,
                      instants: list[datetime]) -> list[dict[str, Any]]:
    """Branches whose shadow price rounds to non-zero, with flow and limit, per interval."""
    shadow = np.round(np.abs(day.branch_shadow_usd_per_mwh), PLACES)
    branches = inp.network.branch_ids.tolist()
    out = []
    # Only the few binding rows are rounded to Decimals (a day has branches × intervals).
    for b, t in zip(*np.nonzero(shadow), strict=True):
        [price, flow, limit] = rounded(np.array([shadow[b, t], day.branch_flow_mw[b, t],
                                                 inp.network.limit_mw[b]]))
        out.append({"branch": branches[b], "interval_start_utc": instants[t], "flow_mw": flow,
                    "limit_mw": limit, "shadow_price_usd_per_mwh": price,
                    "carried_forward": bool(day.carried_forward[t])})
    return out


def _dispatch(inp: ClearingInput, mapping: PublicationMap, day: SolvedDay,
              instants: list[datetime]) -> list[dict[str, Any]]:
    nt = len(instants)
    minutes = inp.periods.duration_minutes
    mw = rounded(day.output_mw)
    mwh = rounded(np.round(day.output_mw, PLACES) * (minutes / 60.0)[None, :])
    out = []
    for i, unit in enumerate(inp.units.unit_ids.tolist()):
        for t in range(nt):
            k = i * nt + t
            out.append({"resource_id": unit, "scid": mapping.unit_scid.get(unit),
                        "interval_start_utc": instants[t], "interval_minutes": int(minutes[t]),
                        "dispatch_mw": mw[k], "expected_energy_mwh": mwh[k],
                        "carried_forward": bool(day.carried_forward[t])})
    return out
