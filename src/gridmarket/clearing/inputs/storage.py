"""Energy storage resources: charge, discharge and state of charge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmarket.clearing.inputs._checks import FloatArray, StrArray, floats, ids, require, strings

_T = "Storage"


@dataclass(frozen=True, eq=False)
class Storage:
    """Storage resources offering to discharge and bidding to charge.

    State of charge evolves as ``e_t = e_{t-1} + (η_c·charge − discharge/η_d)·hours``;
    it stays within ``[energy_min_mwh, energy_max_mwh]`` and ends the horizon at
    or above ``final_energy_min_mwh``. Discharge is offered at
    ``discharge_price_usd_per_mwh`` and charging bid at
    ``charge_price_usd_per_mwh`` (both ``(storage, period)``).

    Example::

        >>> s = Storage.create(["S1"], ["A"], 4, charge_max_mw=10.0, discharge_max_mw=10.0,
        ...                    energy_max_mwh=20.0)
        >>> s.charge_efficiency.tolist(), s.initial_energy_mwh.tolist()
        ([1.0], [0.0])
    """

    storage_ids: StrArray
    bus_ids: StrArray
    charge_max_mw: FloatArray
    discharge_max_mw: FloatArray
    energy_min_mwh: FloatArray
    energy_max_mwh: FloatArray
    initial_energy_mwh: FloatArray
    final_energy_min_mwh: FloatArray
    charge_efficiency: FloatArray
    discharge_efficiency: FloatArray
    charge_price_usd_per_mwh: FloatArray
    discharge_price_usd_per_mwh: FloatArray

    def __post_init__(self) -> None:
        r = ids(_T, "storage_ids", self.storage_ids)
        n = r.size
        object.__setattr__(self, "storage_ids", r)
        object.__setattr__(self, "bus_ids", strings(_T, "bus_ids", self.bus_ids, n))
        raw = np.asarray(self.charge_max_mw, dtype=np.float64)
        require(raw.ndim == 2 and raw.shape[0] == n, _T, "charge_max_mw",
                "shape must be (storage, period)")
        nt = raw.shape

        def f(name: str, shape: tuple[int, ...]) -> FloatArray:
            value = floats(_T, name, getattr(self, name), shape, row_ids=r)
            object.__setattr__(self, name, value)
            return value

        for name in ("charge_max_mw", "discharge_max_mw"):
            require(f(name, nt) >= 0, _T, name, "must be non-negative", r)
        f("charge_price_usd_per_mwh", nt)
        f("discharge_price_usd_per_mwh", nt)
        low, high = f("energy_min_mwh", (n,)), f("energy_max_mwh", (n,))
        require(low >= 0, _T, "energy_min_mwh", "must be non-negative", r)
        require(high >= low, _T, "energy_max_mwh", "below energy_min_mwh", r)
        start, final = f("initial_energy_mwh", (n,)), f("final_energy_min_mwh", (n,))
        require((start >= low) & (start <= high), _T, "initial_energy_mwh",
                "outside the energy limits", r)
        require(final <= high, _T, "final_energy_min_mwh", "above energy_max_mwh", r)
        for name in ("charge_efficiency", "discharge_efficiency"):
            eff = f(name, (n,))
            require((eff > 0) & (eff <= 1), _T, name, "must be in (0, 1]", r)

    @classmethod
    def create(
        cls,
        storage_ids: Sequence[str],
        bus_ids: Sequence[str],
        n_periods: int,
        *,
        charge_max_mw: Any,
        discharge_max_mw: Any,
        energy_max_mwh: Any,
        energy_min_mwh: Any = 0.0,
        initial_energy_mwh: Any = None,
        final_energy_min_mwh: Any = None,
        charge_efficiency: Any = 1.0,
        discharge_efficiency: Any = 1.0,
        charge_price_usd_per_mwh: Any = 0.0,
        discharge_price_usd_per_mwh: Any = 0.0,
    ) -> Storage:
        """Build with defaults: lossless, starting and ending at ``energy_min_mwh``."""
        n = len(storage_ids)
        nt = (n, n_periods)
        start = energy_min_mwh if initial_energy_mwh is None else initial_energy_mwh
        return cls(
            storage_ids=np.asarray(storage_ids, dtype=np.str_),
            bus_ids=np.asarray(bus_ids, dtype=np.str_),
            charge_max_mw=floats(_T, "charge_max_mw", charge_max_mw, nt),
            discharge_max_mw=discharge_max_mw,
            energy_min_mwh=energy_min_mwh,
            energy_max_mwh=energy_max_mwh,
            initial_energy_mwh=start,
            final_energy_min_mwh=energy_min_mwh if final_energy_min_mwh is None
            else final_energy_min_mwh,
            charge_efficiency=charge_efficiency,
            discharge_efficiency=discharge_efficiency,
            charge_price_usd_per_mwh=charge_price_usd_per_mwh,
            discharge_price_usd_per_mwh=discharge_price_usd_per_mwh,
        )

    @property
    def n_storage(self) -> int:
        return int(self.storage_ids.size)
