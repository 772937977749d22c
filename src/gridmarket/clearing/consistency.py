"""The consistency check run on every market result.

Checks, each vectorised over elements and periods:

* ``power_balance`` — supply minus demand equals the linearised losses (less any
  penalised shortage or surplus), and equals the sum of the bus injections;
* ``award_limits`` — outputs, segments, reserves, storage, HVDC and branch flows
  within their limits; ramps and minimum up/down times respected;
* ``offer_prices`` — every accepted offer segment is priced at or below its LMP
  and every rejected one at or above it (likewise reserve offers against their
  clearing prices), unless a binding unit limit explains the deviation — the
  finding then names it;
* ``bid_prices`` — accepted demand and virtual demand bids priced at or above the
  LMP, rejected ones at or below (virtual supply like offers);
* ``price_parts`` — SMEC + MCC + MCL equals the LMP, and the LMP equals the price
  read independently from each bus's balance row.

Violations are collected in the report, never silent: the result carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gridmarket.clearing.formulation.reserves import award_limit_mw
from gridmarket.clearing.formulation.units import effective_segments
from gridmarket.clearing.inputs import ClearingInput, ReserveProduct
from gridmarket.clearing.inputs._checks import BoolArray

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gridmarket.clearing.result import Prices, Relaxations, Schedules

# Default tolerances: well above the solver's (1e-7) yet far below a market's cent.
PRICE_TOLERANCE_USD_PER_MWH = 1e-3
MW_TOLERANCE = 1e-4

COMMITMENT_OFF = "commitment_off"


@dataclass(frozen=True)
class Finding:
    """One deviation: which check, where, how large, and what explains it (if anything)."""

    check: str
    element: str
    period: int
    detail: str
    magnitude: float
    segment: int | None = None
    explained_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConsistencyReport:
    """Outcome of :func:`check_consistency`."""

    violations: tuple[Finding, ...]
    explained: tuple[Finding, ...]
    checks: tuple[str, ...]
    max_balance_residual_mw: float
    max_price_mismatch_usd_per_mwh: float

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        """One line per violation (or ``consistent``)."""
        if self.ok:
            return f"consistent ({len(self.explained)} deviations explained by unit limits)"
        return "\n".join(
            f"{f.check}: {f.element} period {f.period}"
            + (f" segment {f.segment}" if f.segment is not None else "")
            + f": {f.detail} ({f.magnitude:.6g})"
            for f in self.violations
        )


def check_consistency(
    inp: ClearingInput,
    schedules: Schedules,
    prices: Prices,
    relaxations: Relaxations,
    unit_limits: Mapping[str, BoolArray],
    *,
    price_tolerance: float = PRICE_TOLERANCE_USD_PER_MWH,
    mw_tolerance: float = MW_TOLERANCE,
) -> ConsistencyReport:
    """Run every check on a result's parts and collect the findings.

    ``unit_limits`` maps a limit name to a ``(unit, period)`` mask of where it
    binds; :func:`gridmarket.clearing.extract.read_unit_limits` provides it.
    """
    check = _Checker(inp, schedules, prices, relaxations, unit_limits, price_tolerance,
                     mw_tolerance)
    balance = check.power_balance()
    check.award_limits()
    check.offer_prices()
    check.bid_prices()
    mismatch = check.price_parts()
    return ConsistencyReport(
        violations=tuple(check.violations),
        explained=tuple(check.explained),
        checks=("power_balance", "award_limits", "offer_prices", "bid_prices", "price_parts"),
        max_balance_residual_mw=balance,
        max_price_mismatch_usd_per_mwh=mismatch,
    )


class _Checker:
    def __init__(self, inp: ClearingInput, schedules: Schedules, prices: Prices,
                 relaxations: Relaxations, unit_limits: Mapping[str, BoolArray],
                 price_tol: float, mw_tol: float) -> None:
        self.inp, self.s, self.p, self.relax = inp, schedules, prices, relaxations
        self.limits = unit_limits
        self.ptol, self.mwtol = price_tol, mw_tol
        self.violations: list[Finding] = []
        self.explained: list[Finding] = []
        net = inp.network
        self.unit_bus = net.bus_index(inp.units.bus_ids)

    # -- helpers ---------------------------------------------------------------------
    def _report(self, check: str, mask: np.ndarray, names: np.ndarray, detail: str,
                magnitude: np.ndarray, explainable: bool = False) -> None:
        """Record a finding for each True of ``mask`` ``(element, period[, segment])``."""
        for index in zip(*np.nonzero(mask), strict=True):
            element, period = int(index[0]), int(index[1])
            segment = int(index[2]) if len(index) > 2 else None
            reasons: tuple[str, ...] = ()
            if explainable:
                reasons = self._reasons(element, period)
            finding = Finding(check, str(names[element]), period, detail,
                              float(magnitude[index]), segment, reasons)
            (self.explained if reasons else self.violations).append(finding)

    def _reasons(self, unit: int, period: int) -> tuple[str, ...]:
        nt = self.s.output_mw.shape[1]
        names = []
        for name, mask in self.limits.items():
            here = bool(mask[unit, period])
            # A ramp row of the next period also involves this period's output.
            later = name.startswith("ramp") and period + 1 < nt and bool(mask[unit, period + 1])
            if here or later:
                names.append(name)
        return tuple(names)

    # -- checks ----------------------------------------------------------------------
    def power_balance(self) -> float:
        s, inp, relax = self.s, self.inp, self.relax
        supply = s.output_mw.sum(axis=0) + s.storage_discharge_mw.sum(axis=0)
        demand = s.demand_served_mw.sum(axis=0) + s.storage_charge_mw.sum(axis=0)
        if inp.virtual_bids is not None:
            side = np.where(inp.virtual_bids.is_supply, 1.0, -1.0)[:, None]
            supply = supply + (side * s.virtual_award_mw.sum(axis=2)).sum(axis=0)
        injection_gap = supply - demand - s.net_injection_mw.sum(axis=0)
        linear_losses = (s.loss_factor * s.net_injection_mw).sum(axis=0) + s.loss_offset_mw
        balance_gap = (s.net_injection_mw.sum(axis=0) - linear_losses
                       + relax.shortage_mw - relax.surplus_mw)
        residual = np.maximum(np.abs(injection_gap), np.abs(balance_gap))
        bad = residual > self.mwtol
        self._report("power_balance", bad[None, :], np.array(["SYSTEM"]),
                     "supply − demand differs from losses", residual[None, :])
        return float(residual.max(initial=0.0))

    def award_limits(self) -> None:
        s, units, tol = self.s, self.inp.units, self.mwtol
        ids = units.unit_ids
        on = s.commitment
        p = s.output_mw
        self._report("award_limits", p > units.p_max_mw * on + tol, ids, "output above Pmax·u",
                     p - units.p_max_mw * on)
        self._report("award_limits", p < units.p_min_mw * on - tol, ids, "output below Pmin·u",
                     units.p_min_mw * on - p)
        width, _ = effective_segments(units, self.inp.penalties)
        x = s.cleared_segment_mw
        self._report("award_limits", (x > width + tol) | (x < -tol), ids,
                     "segment outside [0, width]", x - width)
        r = s.reserve_award_mw
        if self.inp.reserves is not None:
            limit = award_limit_mw(units, self.inp.reserves)
            self._report("award_limits", r > limit + tol, ids, "reserve above offer or ramp reach",
                         r - limit)
            up = r[:, :, ReserveProduct.REG_UP] + r[:, :, ReserveProduct.SPIN]
            online_ns = np.where(on, r[:, :, ReserveProduct.NON_SPIN], 0.0)
            headroom = units.p_max_mw - p - up - online_ns
            self._report("award_limits", on & (headroom < -tol), ids,
                         "output plus upward reserve above Pmax", -headroom)
            footroom = p - r[:, :, ReserveProduct.REG_DOWN] - units.p_min_mw * on
            self._report("award_limits", footroom < -tol, ids,
                         "output minus regulation down below Pmin", -footroom)
        self._ramps_and_min_times()
        self._storage_and_network()

    def _ramps_and_min_times(self) -> None:
        s, units, tol = self.s, self.inp.units, self.mwtol
        ids, on, p = units.unit_ids, s.commitment, s.output_mw
        minutes = self.inp.periods.duration_minutes
        before = np.concatenate([units.initial_output_mw[:, None], p[:, :-1]], axis=1)
        on_before = np.concatenate([units.initial_on[:, None], on[:, :-1]], axis=1)
        both = on & on_before
        up = p - before - units.ramp_up_mw_per_min[:, None] * minutes[None, :]
        down = before - p - units.ramp_down_mw_per_min[:, None] * minutes[None, :]
        self._report("award_limits", both & (up > tol), ids, "ramp up exceeded", up)
        self._report("award_limits", both & (down > tol), ids, "ramp down exceeded", down)
        nt = on.shape[1]
        for name, event, duration, state in (("minimum up time", s.startup,
                                               units.min_up_periods, on),
                                             ("minimum down time", s.shutdown,
                                              units.min_down_periods, ~on)):
            for lag in range(1, int(min(duration.max(initial=1), nt))):
                early = event[:, : nt - lag] & (lag < duration[:, None]) & ~state[:, lag:]
                gap = np.zeros(on.shape, dtype=bool)
                gap[:, lag:] = early
                self._report("award_limits", gap, ids, f"{name} not respected",
                             gap.astype(float))

    def _storage_and_network(self) -> None:
        s, inp, tol = self.s, self.inp, self.mwtol
        if inp.storage is not None:
            st = inp.storage
            e = s.storage_energy_mwh
            bad = (e < st.energy_min_mwh[:, None] - tol) | (e > st.energy_max_mwh[:, None] + tol)
            self._report("award_limits", bad, st.storage_ids, "state of charge outside limits", e)
            over = (s.storage_charge_mw > st.charge_max_mw + tol) | (
                s.storage_discharge_mw > st.discharge_max_mw + tol)
            self._report("award_limits", over, st.storage_ids, "charge or discharge above max",
                         s.storage_charge_mw + s.storage_discharge_mw)
        net = inp.network
        h = s.hvdc_flow_mw
        bad_h = (h < net.hvdc_min_mw[:, None] - tol) | (h > net.hvdc_max_mw[:, None] + tol)
        self._report("award_limits", bad_h, net.hvdc_ids, "HVDC transfer outside limits", h)
        excess = np.abs(s.branch_flow_mw) - net.limit_mw[:, None] - self.relax.branch_overload_mw
        self._report("award_limits", excess > tol, net.branch_ids,
                     "branch flow above limit (and not reported as overload)", excess)

    def offer_prices(self) -> None:
        s, inp, ptol, mwtol = self.s, self.inp, self.ptol, self.mwtol
        units = inp.units
        width, price = effective_segments(units, inp.penalties)
        x = s.cleared_segment_mw
        lmp = self.p.lmp_usd_per_mwh[self.unit_bus][:, :, None]
        dear = (x > mwtol) & (price > lmp + ptol)
        cheap = (x < width - mwtol) & (price < lmp - ptol)
        explain = True
        self._report("offer_prices", dear, units.unit_ids,
                     "accepted segment priced above its LMP", price - lmp, explain)
        self._report("offer_prices", cheap, units.unit_ids,
                     "rejected segment priced below its LMP", lmp - price, explain)
        if inp.reserves is not None and self.p.reserve_usd_per_mw.size:
            members = np.stack([inp.network.areas_index(a)[self.unit_bus]
                                for a in inp.reserves.zone_areas]).astype(float)
            # (unit, period, product): the sum of prices of the zones the unit is in.
            value = np.einsum("zu,pzt->utp", members, self.p.reserve_usd_per_mw)
            bid = units.reserve_price_usd_per_mw
            limit = award_limit_mw(units, inp.reserves)
            r = s.reserve_award_mw
            offered = limit > mwtol
            self._report("offer_prices", offered & (r > mwtol) & (bid > value + ptol),
                         units.unit_ids, "accepted reserve offer priced above its price",
                         bid - value, explain)
            self._report("offer_prices", offered & (r < limit - mwtol) & (bid < value - ptol),
                         units.unit_ids, "rejected reserve offer priced below its price",
                         value - bid, explain)

    def bid_prices(self) -> None:
        s, inp, ptol, mwtol = self.s, self.inp, self.ptol, self.mwtol
        net = inp.network
        d = inp.demand
        lmp = self.p.lmp_usd_per_mwh[net.bus_index(d.bus_ids)][:, :, None]
        x, width, price = s.demand_segment_mw, d.bid_mw, d.bid_price_usd_per_mwh
        self._report("bid_prices", (x > mwtol) & (price < lmp - ptol), d.load_ids,
                     "accepted demand bid priced below its LMP", lmp - price)
        self._report("bid_prices", (x < width - mwtol) & (price > lmp + ptol), d.load_ids,
                     "rejected demand bid priced above its LMP", price - lmp)
        if inp.virtual_bids is not None:
            v = inp.virtual_bids
            lmp = self.p.lmp_usd_per_mwh[net.bus_index(v.bus_ids)][:, :, None]
            x, width, price = s.virtual_award_mw, v.bid_mw, v.bid_price_usd_per_mwh
            sup = v.is_supply[:, None, None]
            accepted_wrong = np.where(sup, price > lmp + ptol, price < lmp - ptol)
            rejected_wrong = np.where(sup, price < lmp - ptol, price > lmp + ptol)
            self._report("bid_prices", (x > mwtol) & accepted_wrong, v.bid_ids,
                         "accepted virtual bid on the wrong side of its LMP", price - lmp)
            self._report("bid_prices", (x < width - mwtol) & rejected_wrong, v.bid_ids,
                         "rejected virtual bid on the wrong side of its LMP", price - lmp)

    def price_parts(self) -> float:
        p = self.p
        parts = p.smec_usd_per_mwh[None, :] + p.mcc_usd_per_mwh + p.mcl_usd_per_mwh
        mismatch = np.maximum(np.abs(parts - p.lmp_usd_per_mwh),
                              np.abs(p.lmp_usd_per_mwh - p.nodal_dual_usd_per_mwh))
        self._report("price_parts", mismatch > self.ptol, self.inp.network.bus_ids,
                     "SMEC + MCC + MCL, LMP and the bus balance dual disagree", mismatch)
        return float(mismatch.max(initial=0.0))
