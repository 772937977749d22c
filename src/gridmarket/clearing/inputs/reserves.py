"""Ancillary service products and their requirements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np

from gridmarket.clearing.inputs._checks import FloatArray, StrArray, floats, ids, require

_T = "ReserveRequirements"


class ReserveProduct(IntEnum):
    """The four ancillary services, in the order of every ``(…, product)`` array axis."""

    REG_UP = 0
    REG_DOWN = 1
    SPIN = 2
    NON_SPIN = 3


N_PRODUCTS = len(ReserveProduct)

# Upward products from highest to lowest quality: a MW of a better product may be
# counted towards the requirement of any product after it (regulation up → spinning
# → non-spinning). Regulation down stands alone.
UPWARD_CASCADE = (ReserveProduct.REG_UP, ReserveProduct.SPIN, ReserveProduct.NON_SPIN)

# Minutes within which an award must be deliverable; with a unit's ramp rate this
# caps its award (CAISO: 10-minute products).
DEFAULT_RESPONSE_MINUTES: Mapping[ReserveProduct, float] = {
    ReserveProduct.REG_UP: 10.0,
    ReserveProduct.REG_DOWN: 10.0,
    ReserveProduct.SPIN: 10.0,
    ReserveProduct.NON_SPIN: 10.0,
}


@dataclass(frozen=True, eq=False)
class ReserveRequirements:
    """Reserve requirements by product, zone and period (MW).

    A zone is a union of bus areas (``()`` = the whole system); zones may overlap,
    e.g. a system requirement plus a sub-area minimum.

    Example::

        >>> req = ReserveRequirements.create(["SYS"], [()], 24, spin_mw=50.0)
        >>> req.requirement_mw[ReserveProduct.SPIN, 0, :3].tolist()
        [50.0, 50.0, 50.0]
    """

    zone_ids: StrArray
    zone_areas: tuple[tuple[str, ...], ...]
    requirement_mw: FloatArray
    """Shape ``(product, zone, period)``."""
    response_minutes: FloatArray
    """Shape ``(product,)``."""

    def __post_init__(self) -> None:
        zones = ids(_T, "zone_ids", self.zone_ids)
        object.__setattr__(self, "zone_ids", zones)
        require(len(self.zone_areas) == zones.size, _T, "zone_areas", "one entry per zone")
        raw = np.asarray(self.requirement_mw, dtype=np.float64)
        require(raw.ndim == 3 and raw.shape[:2] == (N_PRODUCTS, zones.size), _T,
                "requirement_mw", f"shape must be ({N_PRODUCTS}, zones, periods)")
        req = floats(_T, "requirement_mw", raw, raw.shape)
        require(req >= 0, _T, "requirement_mw", "must be non-negative")
        object.__setattr__(self, "requirement_mw", req)
        minutes = floats(_T, "response_minutes", self.response_minutes, (N_PRODUCTS,))
        require(minutes > 0, _T, "response_minutes", "must be positive")
        object.__setattr__(self, "response_minutes", minutes)

    @classmethod
    def create(
        cls,
        zone_ids: Sequence[str],
        zone_areas: Sequence[Sequence[str]],
        n_periods: int,
        *,
        reg_up_mw: Any = 0.0,
        reg_down_mw: Any = 0.0,
        spin_mw: Any = 0.0,
        non_spin_mw: Any = 0.0,
        response_minutes: Mapping[ReserveProduct, float] = DEFAULT_RESPONSE_MINUTES,
    ) -> ReserveRequirements:
        """Requirements per product as scalars, ``(zone,)`` or ``(zone, period)`` arrays."""
        shape = (len(zone_ids), n_periods)
        values = [reg_up_mw, reg_down_mw, spin_mw, non_spin_mw]
        req = np.stack([floats(_T, p.name.lower(), v, shape) for p, v in
                        zip(ReserveProduct, values, strict=True)])
        return cls(
            zone_ids=np.asarray(zone_ids, dtype=np.str_),
            zone_areas=tuple(tuple(a) for a in zone_areas),
            requirement_mw=req,
            response_minutes=np.array([response_minutes[p] for p in ReserveProduct]),
        )

    @property
    def n_zones(self) -> int:
        return int(self.zone_ids.size)
