"""Ancillary services family: awards, coupling with energy, zonal requirements.

Awards ``r_i,t,q`` are bounded by the offer and by what the unit can ramp within
the product's response time (``ramp rate × minutes``). Awards enter the unit's
capacity rows (see :mod:`~gridmarket.clearing.formulation.units`), which also
keep an offline unit from providing them: ``p + ru + sp + ns ≤ Pmax·u`` and
``p − rd ≥ Pmin·u``. Only a quick-start unit, whose capacity row leaves room for
offline non-spinning reserve, needs ``ru ≤ offer·u`` and ``sp ≤ offer·u``
explicitly.

Requirements cascade so a better product substitutes for a lower one: for each
zone ``z``

    Σ (ru + s_ru)                      ≥ R_ru
    Σ (ru + s_ru + sp + s_sp)          ≥ R_ru + R_sp
    Σ (ru + s_ru + sp + s_sp + ns + s_ns) ≥ R_ru + R_sp + R_ns
    Σ (rd + s_rd)                      ≥ R_rd

so the clearing price of a product is the sum of the duals of every row it
counts towards (regulation up ≥ spinning ≥ non-spinning). A shortfall ``s_q``
is a fictitious award of product ``q`` at its penalty price, counted like a real
award of ``q``: a spinning shortfall therefore prices spinning reserve at the
spinning penalty, not at the sum of the penalties of the rows it leaves short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmarket.clearing.formulation.units import CAPABILITY_FAMILIES, UnitBlock
from gridmarket.clearing.inputs import (
    N_PRODUCTS,
    Network,
    Penalties,
    Periods,
    ReserveProduct,
    ReserveRequirements,
    UnitOffers,
)
from gridmarket.clearing.linear_model import FloatArray, IntArray, LinearModel

RU, RD, SP, NS = (ReserveProduct.REG_UP, ReserveProduct.REG_DOWN, ReserveProduct.SPIN,
                  ReserveProduct.NON_SPIN)
# Row of each product → the products that count towards it (the cascade).
COUNTS_TOWARDS: dict[ReserveProduct, tuple[ReserveProduct, ...]] = {
    RU: (RU,),
    SP: (RU, SP),
    NS: (RU, SP, NS),
    RD: (RD,),
}


@dataclass
class ReserveBlock:
    """Indices of the reserve family."""

    award: IntArray
    """``(unit, period, product)`` columns, -1 where nothing is offered."""
    shortfall: IntArray
    """``(product, zone, period)`` columns: the shortfall of each product."""
    requirement_rows: IntArray
    """``(product, zone, period)`` rows of the cascade, -1 where nothing is required."""
    online_rows: IntArray
    zone_members: np.ndarray
    """``(zone, unit)`` membership."""


def cumulative_requirement(reserves: ReserveRequirements) -> FloatArray:
    """Right-hand side of each cascade row ``(product, zone, period)``."""
    req = reserves.requirement_mw
    out = np.zeros_like(req)
    for row, members in COUNTS_TOWARDS.items():
        out[row] = req[list(members)].sum(axis=0)
    return out


def award_limit_mw(units: UnitOffers, reserves: ReserveRequirements) -> FloatArray:
    """Upper bound of each award ``(unit, period, product)``: offer and ramp capability."""
    ramp = np.stack([units.ramp_up_mw_per_min, units.ramp_down_mw_per_min,
                     units.ramp_up_mw_per_min, units.ramp_up_mw_per_min], axis=1)  # (n, P)
    reach = ramp[:, None, :] * reserves.response_minutes[None, None, :]
    return np.asarray(np.minimum(units.reserve_offer_mw, reach))


def add_reserves(
    model: LinearModel,
    units: UnitOffers,
    unit_block: UnitBlock,
    reserves: ReserveRequirements,
    network: Network,
    periods: Periods,
    penalties: Penalties,
    *,
    stable: bool = False,
    size: IntArray | None = None,
) -> ReserveBlock:
    """Add awards, their coupling with commitment and energy, and the requirements.

    With ``stable``, every award and requirement exists even where it is zero
    (see :func:`~gridmarket.clearing.formulation.units.add_units`).
    """
    n, nt, hours = units.n_units, periods.count, periods.hours
    copies = np.ones(n) if size is None else np.asarray(size, dtype=np.float64)
    limit = award_limit_mw(units, reserves)
    award = model.add_columns((n, nt, N_PRODUCTS), upper=limit * copies[:, None, None],
                              cost=units.reserve_price_usd_per_mw * hours[None, :, None],
                              mask=None if stable else limit > 0)

    # Awards of a unit that is off: ruled out by its capacity rows, except for a
    # quick-start unit (offline non-spinning room) and for merged identical units,
    # where only u of them are on, each within its own limit.
    online_only = np.zeros((n, 1, N_PRODUCTS), dtype=bool)
    online_only[:, 0, RU] = online_only[:, 0, SP] = units.quick_start
    merged = copies > 1
    online_only[merged, 0, :] = True
    online_only[merged & units.quick_start, 0, NS] = False
    online_rows = model.add_rows((n, nt, N_PRODUCTS), upper=0.0,
                                 mask=(award >= 0) & online_only)
    model.add_terms(online_rows, award, 1.0)
    model.add_terms(online_rows, unit_block.commit[:, :, None], -limit)

    rows = unit_block.rows
    model.add_terms(rows["capacity"], award[:, :, NS], 1.0)
    for product in (RU, SP):
        for family in CAPABILITY_FAMILIES:
            model.add_terms(rows[family], award[:, :, product], 1.0)
    model.add_terms(rows["min_output"], award[:, :, RD], -1.0)

    need = cumulative_requirement(reserves)
    nz = reserves.n_zones
    required = None if stable else need > 0
    requirement_rows = model.add_rows((N_PRODUCTS, nz, nt), lower=need, mask=required)
    shortfall = model.add_columns(
        (N_PRODUCTS, nz, nt), upper=need,
        cost=penalties.reserve_shortfall_usd_per_mw[:, None, None] * hours[None, None, :],
        mask=required,
    )
    unit_bus = network.bus_index(units.bus_ids, table="UnitOffers", field="bus_ids")
    members = np.stack([network.areas_index(areas)[unit_bus] for areas in reserves.zone_areas]
                       ) if nz else np.zeros((0, n), dtype=bool)
    for row, products in COUNTS_TOWARDS.items():
        for product in products:
            # (zone, unit, period): every member unit's award counts towards the row.
            model.add_terms(requirement_rows[row][:, None, :], award[None, :, :, product],
                            members[:, :, None].astype(np.float64))
            model.add_terms(requirement_rows[row], shortfall[product], 1.0)
    return ReserveBlock(award, shortfall, requirement_rows, online_rows, members)


def reserve_prices(block: ReserveBlock, row_dual: FloatArray, hours: FloatArray) -> FloatArray:
    """Clearing price per product, zone and period ($/MW per hour) from the cascade duals."""
    rows = block.requirement_rows
    dual = np.where(rows >= 0, row_dual[np.clip(rows, 0, None)], 0.0) / hours[None, None, :]
    prices = np.zeros_like(dual)
    for row, products in COUNTS_TOWARDS.items():
        for product in products:
            prices[product] += dual[row]
    return prices
