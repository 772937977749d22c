"""Demand bids (fixed and price-sensitive) and virtual (convergence) bids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmarket.clearing.inputs._checks import (
    BoolArray,
    FloatArray,
    StrArray,
    bools,
    floats,
    ids,
    monotone_segments,
    require,
    strings,
)


@dataclass(frozen=True, eq=False)
class DemandBids:
    """Loads by bus: a fixed (price-taking) part and price-sensitive bid segments.

    ``fixed_mw`` has shape ``(load, period)``; ``bid_mw`` and
    ``bid_price_usd_per_mwh`` have shape ``(load, period, segment)`` with prices
    non-increasing. Fixed demand that cannot be served is a power-balance
    violation, priced at the power-balance penalty.

    Example::

        >>> d = DemandBids.create(["L1"], ["A"], 2, fixed_mw=[[80.0, 90.0]])
        >>> d.fixed_mw.sum(), d.bid_mw.shape
        (np.float64(170.0), (1, 2, 1))
    """

    load_ids: StrArray
    bus_ids: StrArray
    fixed_mw: FloatArray
    bid_mw: FloatArray
    bid_price_usd_per_mwh: FloatArray

    def __post_init__(self) -> None:
        t_ = "DemandBids"
        r = ids(t_, "load_ids", self.load_ids)
        n = r.size
        object.__setattr__(self, "load_ids", r)
        object.__setattr__(self, "bus_ids", strings(t_, "bus_ids", self.bus_ids, n))
        raw = np.asarray(self.bid_mw, dtype=np.float64)
        require(raw.ndim == 3 and raw.shape[0] == n, t_, "bid_mw",
                "shape must be (load, period, segment)")
        fixed = floats(t_, "fixed_mw", self.fixed_mw, raw.shape[:2], row_ids=r)
        width = floats(t_, "bid_mw", raw, raw.shape, row_ids=r)
        price = floats(t_, "bid_price_usd_per_mwh", self.bid_price_usd_per_mwh, raw.shape,
                       row_ids=r)
        require(fixed >= 0, t_, "fixed_mw", "must be non-negative", r)
        require(width >= 0, t_, "bid_mw", "must be non-negative", r)
        monotone_segments(t_, "bid_price_usd_per_mwh", width, price, r, increasing=False)
        object.__setattr__(self, "fixed_mw", fixed)
        object.__setattr__(self, "bid_mw", width)
        object.__setattr__(self, "bid_price_usd_per_mwh", price)

    @classmethod
    def create(
        cls,
        load_ids: Sequence[str],
        bus_ids: Sequence[str],
        n_periods: int,
        *,
        fixed_mw: Any = 0.0,
        bid_mw: Any = None,
        bid_price_usd_per_mwh: Any = 0.0,
    ) -> DemandBids:
        """Build with defaults; without ``bid_mw`` the loads are fixed only."""
        n = len(load_ids)
        width = np.zeros((n, n_periods, 1)) if bid_mw is None else _segments(bid_mw, n, n_periods)
        price = np.broadcast_to(_prices(bid_price_usd_per_mwh, width.shape), width.shape)
        return cls(
            load_ids=np.asarray(load_ids, dtype=np.str_),
            bus_ids=np.asarray(bus_ids, dtype=np.str_),
            fixed_mw=fixed_mw,
            bid_mw=width,
            bid_price_usd_per_mwh=price,
        )

    @property
    def n_loads(self) -> int:
        return int(self.load_ids.size)


@dataclass(frozen=True, eq=False)
class VirtualBids:
    """Virtual supply and demand bids at buses (day-ahead only, energy only).

    ``is_supply`` picks the side; ``bid_mw`` and ``bid_price_usd_per_mwh`` have
    shape ``(bid, period, segment)``, supply prices non-decreasing and demand
    prices non-increasing.

    Example::

        >>> v = VirtualBids.create(["V1"], ["A"], 1, is_supply=[True],
        ...                        bid_mw=[[[10.0]]], bid_price_usd_per_mwh=25.0)
        >>> v.is_supply.tolist()
        [True]
    """

    bid_ids: StrArray
    bus_ids: StrArray
    is_supply: BoolArray
    bid_mw: FloatArray
    bid_price_usd_per_mwh: FloatArray

    def __post_init__(self) -> None:
        t_ = "VirtualBids"
        r = ids(t_, "bid_ids", self.bid_ids)
        n = r.size
        object.__setattr__(self, "bid_ids", r)
        object.__setattr__(self, "bus_ids", strings(t_, "bus_ids", self.bus_ids, n))
        object.__setattr__(self, "is_supply", bools(t_, "is_supply", self.is_supply, (n,)))
        raw = np.asarray(self.bid_mw, dtype=np.float64)
        require(raw.ndim == 3 and raw.shape[0] == n, t_, "bid_mw",
                "shape must be (bid, period, segment)")
        width = floats(t_, "bid_mw", raw, raw.shape, row_ids=r)
        price = floats(t_, "bid_price_usd_per_mwh", self.bid_price_usd_per_mwh, raw.shape,
                       row_ids=r)
        require(width >= 0, t_, "bid_mw", "must be non-negative", r)
        supply = self.is_supply
        monotone_segments(t_, "bid_price_usd_per_mwh", width[supply], price[supply], r[supply],
                          increasing=True)
        monotone_segments(t_, "bid_price_usd_per_mwh", width[~supply], price[~supply],
                          r[~supply], increasing=False)
        object.__setattr__(self, "bid_mw", width)
        object.__setattr__(self, "bid_price_usd_per_mwh", price)

    @classmethod
    def create(
        cls,
        bid_ids: Sequence[str],
        bus_ids: Sequence[str],
        n_periods: int,
        *,
        is_supply: Any,
        bid_mw: Any,
        bid_price_usd_per_mwh: Any,
    ) -> VirtualBids:
        """Build from arrays; ``bid_mw`` may be ``(bid, segment)`` to repeat each period."""
        n = len(bid_ids)
        width = _segments(bid_mw, n, n_periods)
        return cls(
            bid_ids=np.asarray(bid_ids, dtype=np.str_),
            bus_ids=np.asarray(bus_ids, dtype=np.str_),
            is_supply=np.asarray(is_supply, dtype=bool),
            bid_mw=width,
            bid_price_usd_per_mwh=np.broadcast_to(
                _prices(bid_price_usd_per_mwh, width.shape), width.shape
            ),
        )

    @property
    def n_bids(self) -> int:
        return int(self.bid_ids.size)


def _segments(value: Any, n: int, t: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 2:
        array = array[:, None, :]
    return np.broadcast_to(array, (n, t, array.shape[-1]))


def _prices(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 2 and array.shape == (shape[0], shape[2]):
        array = array[:, None, :]
    elif array.ndim == 1 and array.size == shape[0]:
        array = array[:, None, None]
    return array
