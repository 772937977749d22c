"""Offers of generating units: energy curve, commitment data, reserves, self-schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gridmarket.clearing.inputs._checks import (
    BoolArray,
    FloatArray,
    IntArray,
    StrArray,
    bools,
    floats,
    ids,
    integers,
    monotone_segments,
    require,
    strings,
)
from gridmarket.clearing.inputs.reserves import N_PRODUCTS, ReserveProduct

_T = "UnitOffers"

NO_SELF_SCHEDULE = ""


@dataclass(frozen=True, eq=False)
class UnitOffers:
    """One row per unit; per-period fields have shape ``(unit, period)``.

    Energy offer: output above ``p_min_mw`` is offered in step segments
    ``offer_mw`` (widths, MW) at ``offer_price_usd_per_mwh``, shape
    ``(unit, period, segment)``; unused segments have width 0. The first
    ``p_min_mw`` is paid for through ``min_load_cost_usd_per_h``.

    Self-schedule: ``self_schedule_mw`` is a price-taking quantity of type
    ``self_schedule_type`` (a rulebook priority such as ``"PT"``); economic
    segments apply above it.

    Reserves: ``reserve_offer_mw`` and ``reserve_price_usd_per_mw`` have shape
    ``(unit, period, product)`` (see :class:`ReserveProduct`); a
    ``quick_start`` unit may provide non-spinning reserve while offline.

    Initial conditions: ``initial_on``, ``initial_periods_in_state`` (how long it
    has been on, or off) and ``initial_output_mw``.

    Example::

        >>> units = UnitOffers.create(["G1"], ["A"], 2, p_max_mw=100.0,
        ...                           offer_mw=[[[100.0]]], offer_price_usd_per_mwh=20.0)
        >>> units.offer_mw.shape, units.p_min_mw.tolist()
        ((1, 2, 1), [[0.0, 0.0]])
    """

    unit_ids: StrArray
    bus_ids: StrArray
    p_min_mw: FloatArray
    p_max_mw: FloatArray
    offer_mw: FloatArray
    offer_price_usd_per_mwh: FloatArray
    ramp_up_mw_per_min: FloatArray
    ramp_down_mw_per_min: FloatArray
    startup_ramp_mw: FloatArray
    shutdown_ramp_mw: FloatArray
    min_up_periods: IntArray
    min_down_periods: IntArray
    startup_cost_usd: FloatArray
    min_load_cost_usd_per_h: FloatArray
    available: BoolArray
    must_run: BoolArray
    initial_on: BoolArray
    initial_periods_in_state: IntArray
    initial_output_mw: FloatArray
    reserve_offer_mw: FloatArray
    reserve_price_usd_per_mw: FloatArray
    quick_start: BoolArray
    self_schedule_mw: FloatArray
    self_schedule_type: StrArray

    def __post_init__(self) -> None:
        unit_ids = ids(_T, "unit_ids", self.unit_ids)
        n = unit_ids.size
        raw_offer = np.asarray(self.offer_mw, dtype=np.float64)
        require(raw_offer.ndim == 3 and raw_offer.shape[0] == n, _T, "offer_mw",
                "shape must be (unit, period, segment)")
        t, s = raw_offer.shape[1], raw_offer.shape[2]
        nt, nts, ntp = (n, t), (n, t, s), (n, t, N_PRODUCTS)
        r = unit_ids

        def f(name: str, shape: tuple[int, ...], allow_inf: bool = False) -> FloatArray:
            value = floats(_T, name, getattr(self, name), shape, allow_inf=allow_inf, row_ids=r)
            object.__setattr__(self, name, value)
            return value

        object.__setattr__(self, "unit_ids", unit_ids)
        object.__setattr__(self, "bus_ids", strings(_T, "bus_ids", self.bus_ids, n))
        p_min, p_max = f("p_min_mw", nt), f("p_max_mw", nt)
        require(p_min >= 0, _T, "p_min_mw", "must be non-negative", r)
        require(p_max >= p_min, _T, "p_max_mw", "below p_min_mw", r)
        width, price = f("offer_mw", nts), f("offer_price_usd_per_mwh", nts)
        require(width >= 0, _T, "offer_mw", "segment widths must be non-negative", r)
        monotone_segments(_T, "offer_price_usd_per_mwh", width, price, r, increasing=True)
        for name in ("ramp_up_mw_per_min", "ramp_down_mw_per_min"):
            require(f(name, (n,), allow_inf=True) > 0, _T, name, "must be positive", r)
        for name in ("startup_ramp_mw", "shutdown_ramp_mw"):
            ramp = f(name, (n,), allow_inf=True)
            require(ramp[:, None] >= p_min, _T, name,
                    "below p_min_mw: the unit could never start or stop", r)
        for name in ("min_up_periods", "min_down_periods", "initial_periods_in_state"):
            value = integers(_T, name, getattr(self, name), (n,), row_ids=r)
            object.__setattr__(self, name, value)
        require(self.min_up_periods >= 1, _T, "min_up_periods", "at least 1", r)
        require(self.min_down_periods >= 1, _T, "min_down_periods", "at least 1", r)
        require(self.initial_periods_in_state >= 0, _T, "initial_periods_in_state",
                "must be non-negative", r)
        require(f("startup_cost_usd", (n,)) >= 0, _T, "startup_cost_usd", "must be >= 0", r)
        require(f("min_load_cost_usd_per_h", nt) >= 0, _T, "min_load_cost_usd_per_h",
                "must be >= 0", r)
        for name, shape in (("available", nt), ("must_run", nt), ("initial_on", (n,)),
                            ("quick_start", (n,))):
            object.__setattr__(self, name, bools(_T, name, getattr(self, name), shape))
        require(~(self.must_run & ~self.available), _T, "must_run",
                "a unit cannot be must-run while unavailable", r)
        initial = f("initial_output_mw", (n,))
        require(initial >= 0, _T, "initial_output_mw", "must be non-negative", r)
        require(self.initial_on | (initial == 0), _T, "initial_output_mw",
                "an offline unit has no output", r)
        capacity = f("reserve_offer_mw", ntp)
        require(capacity >= 0, _T, "reserve_offer_mw", "must be non-negative", r)
        require(capacity <= (p_max - p_min)[:, :, None] + np.where(
            np.arange(N_PRODUCTS) == ReserveProduct.NON_SPIN, p_min[:, :, None], 0.0),
            _T, "reserve_offer_mw", "exceeds the unit's range", r)
        f("reserve_price_usd_per_mw", ntp)
        ss = f("self_schedule_mw", nt)
        require(ss >= 0, _T, "self_schedule_mw", "must be non-negative", r)
        require(ss <= p_max, _T, "self_schedule_mw", "above p_max_mw", r)
        kinds = strings(_T, "self_schedule_type", self.self_schedule_type, n)
        object.__setattr__(self, "self_schedule_type", kinds)
        require((kinds != NO_SELF_SCHEDULE)[:, None] | (ss == 0), _T, "self_schedule_type",
                "a self-schedule needs a type", r)

    @classmethod
    def create(
        cls,
        unit_ids: Sequence[str],
        bus_ids: Sequence[str],
        n_periods: int,
        *,
        p_max_mw: Any,
        offer_mw: Any,
        offer_price_usd_per_mwh: Any,
        p_min_mw: Any = 0.0,
        ramp_up_mw_per_min: Any = np.inf,
        ramp_down_mw_per_min: Any = None,
        startup_ramp_mw: Any = None,
        shutdown_ramp_mw: Any = None,
        min_up_periods: Any = 1,
        min_down_periods: Any = 1,
        startup_cost_usd: Any = 0.0,
        min_load_cost_usd_per_h: Any = 0.0,
        available: Any = True,
        must_run: Any = False,
        initial_on: Any = False,
        initial_periods_in_state: Any = None,
        initial_output_mw: Any = 0.0,
        reserve_offer_mw: Any = 0.0,
        reserve_price_usd_per_mw: Any = 0.0,
        quick_start: Any = False,
        self_schedule_mw: Any = 0.0,
        self_schedule_type: Sequence[str] | None = None,
    ) -> UnitOffers:
        """Build with defaults: no ramp limit, no costs, offline, no reserves.

        Scalars and per-unit vectors are broadcast over periods (and segments).
        ``offer_mw`` must carry the segment axis; a ``(unit, segment)`` array or a
        nested list ``[[[...]]]`` both work. Down ramp defaults to the up ramp;
        start-up and shut-down ramps default to no limit; by default a unit has been
        in its initial state long enough to change it at once.
        """
        n = len(unit_ids)
        offer = np.asarray(offer_mw, dtype=np.float64)
        if offer.ndim == 2:
            offer = np.broadcast_to(offer[:, None, :], (n, n_periods, offer.shape[1]))
        offer = np.broadcast_to(offer, (n, n_periods, offer.shape[-1]))
        prices = np.asarray(offer_price_usd_per_mwh, dtype=np.float64)
        if prices.ndim == 2 and prices.shape == (n, offer.shape[-1]):
            prices = prices[:, None, :]
        reserve_mw = _per_product(reserve_offer_mw, n, n_periods)
        reserve_price = _per_product(reserve_price_usd_per_mw, n, n_periods)
        return cls(
            unit_ids=np.asarray(unit_ids, dtype=np.str_),
            bus_ids=np.asarray(bus_ids, dtype=np.str_),
            p_min_mw=p_min_mw,
            p_max_mw=p_max_mw,
            offer_mw=offer,
            offer_price_usd_per_mwh=np.broadcast_to(prices, offer.shape),
            ramp_up_mw_per_min=ramp_up_mw_per_min,
            ramp_down_mw_per_min=(ramp_up_mw_per_min if ramp_down_mw_per_min is None
                                  else ramp_down_mw_per_min),
            startup_ramp_mw=np.asarray(np.inf if startup_ramp_mw is None else startup_ramp_mw),
            shutdown_ramp_mw=np.asarray(
                np.inf if shutdown_ramp_mw is None else shutdown_ramp_mw
            ),
            min_up_periods=min_up_periods,
            min_down_periods=min_down_periods,
            startup_cost_usd=startup_cost_usd,
            min_load_cost_usd_per_h=min_load_cost_usd_per_h,
            available=available,
            must_run=must_run,
            initial_on=initial_on,
            initial_periods_in_state=(
                np.maximum(np.broadcast_to(min_up_periods, (n,)),
                           np.broadcast_to(min_down_periods, (n,)))
                if initial_periods_in_state is None else initial_periods_in_state
            ),
            initial_output_mw=initial_output_mw,
            reserve_offer_mw=reserve_mw,
            reserve_price_usd_per_mw=reserve_price,
            quick_start=quick_start,
            self_schedule_mw=self_schedule_mw,
            self_schedule_type=np.asarray(
                self_schedule_type if self_schedule_type is not None else [NO_SELF_SCHEDULE] * n,
                dtype=np.str_,
            ),
        )

    @property
    def n_units(self) -> int:
        return int(self.unit_ids.size)

    @property
    def n_periods(self) -> int:
        return int(self.offer_mw.shape[1])

    @property
    def n_segments(self) -> int:
        return int(self.offer_mw.shape[2])

    def with_commitment(self, commitment: BoolArray) -> UnitOffers:
        """A copy whose units are on exactly where ``commitment`` says (for dispatch runs)."""
        fixed = np.asarray(commitment, dtype=bool)
        return replace(self, available=fixed, must_run=fixed)


def _per_product(value: Any, n: int, t: int) -> np.ndarray:
    """Accept a scalar, a ``{product: value}`` mapping or a ``(unit, period, product)`` array."""
    if isinstance(value, dict):
        out = np.zeros((n, t, N_PRODUCTS))
        for product, v in value.items():
            out[:, :, ReserveProduct(product)] = np.broadcast_to(
                _as_unit_period(v, n, t), (n, t)
            )
        return out
    return np.asarray(value, dtype=np.float64)


def _as_unit_period(value: Any, n: int, t: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    return array[:, None] if array.ndim == 1 and array.size == n else array

