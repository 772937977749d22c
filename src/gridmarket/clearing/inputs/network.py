"""The transmission network seen by the clearing engine: a DC model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from gridmarket.clearing.inputs._checks import (
    FloatArray,
    InputError,
    IntArray,
    StrArray,
    floats,
    ids,
    require,
    strings,
)

_T = "Network"


@dataclass(frozen=True, eq=False)
class Network:
    """Buses, AC branches and HVDC links of a DC network model.

    * ``bus_area`` names the area of each bus (reserve zones are unions of areas).
    * ``load_weight`` sets the load-distributed reference: the energy price (SMEC)
      is the price of power delivered to the buses in these proportions, and
      marginal losses are measured towards it. All zeros means the single
      ``reference_bus``.
    * A branch with an infinite ``limit_mw`` is not monitored.
    * An HVDC link is a controllable transfer from ``hvdc_from_bus`` to
      ``hvdc_to_bus`` within ``[hvdc_min_mw, hvdc_max_mw]`` (negative = reverse).

    Example::

        >>> net = Network.create(["A", "B"], branches=[("AB", "A", "B", 0.1, 100.0)])
        >>> net.bus_index(["B", "A"]).tolist(), net.n_branches
        ([1, 0], 1)
    """

    bus_ids: StrArray
    bus_area: StrArray
    load_weight: FloatArray
    reference_bus: str
    branch_ids: StrArray
    branch_from_bus: StrArray
    branch_to_bus: StrArray
    reactance_pu: FloatArray
    resistance_pu: FloatArray
    limit_mw: FloatArray
    hvdc_ids: StrArray
    hvdc_from_bus: StrArray
    hvdc_to_bus: StrArray
    hvdc_min_mw: FloatArray
    hvdc_max_mw: FloatArray
    base_mva: float

    def __post_init__(self) -> None:
        buses = ids(_T, "bus_ids", self.bus_ids)
        nb = buses.size
        require(nb > 0, _T, "bus_ids", "at least one bus")
        set_ = object.__setattr__
        set_(self, "bus_ids", buses)
        set_(self, "bus_area", strings(_T, "bus_area", self.bus_area, nb))
        weight = floats(_T, "load_weight", self.load_weight, (nb,), row_ids=buses)
        require(weight >= 0, _T, "load_weight", "must be non-negative", buses)
        set_(self, "load_weight", weight)
        if self.reference_bus not in set(buses.tolist()):
            raise InputError(_T, "reference_bus", f"unknown bus {self.reference_bus!r}")

        branches = ids(_T, "branch_ids", self.branch_ids)
        nl = branches.size
        set_(self, "branch_ids", branches)
        for name in ("branch_from_bus", "branch_to_bus"):
            set_(self, name, strings(_T, name, getattr(self, name), nl))
        x = floats(_T, "reactance_pu", self.reactance_pu, (nl,), row_ids=branches)
        require(x != 0, _T, "reactance_pu", "must be non-zero", branches)
        r = floats(_T, "resistance_pu", self.resistance_pu, (nl,), row_ids=branches)
        require(r >= 0, _T, "resistance_pu", "must be non-negative", branches)
        limit = floats(_T, "limit_mw", self.limit_mw, (nl,), allow_inf=True, row_ids=branches)
        require(limit > 0, _T, "limit_mw", "must be positive (inf = not monitored)", branches)
        set_(self, "reactance_pu", x)
        set_(self, "resistance_pu", r)
        set_(self, "limit_mw", limit)
        require(self.branch_from_bus != self.branch_to_bus, _T, "branch_to_bus",
                "a branch must join two different buses", branches)

        links = ids(_T, "hvdc_ids", self.hvdc_ids)
        nh = links.size
        set_(self, "hvdc_ids", links)
        for name in ("hvdc_from_bus", "hvdc_to_bus"):
            set_(self, name, strings(_T, name, getattr(self, name), nh))
        low = floats(_T, "hvdc_min_mw", self.hvdc_min_mw, (nh,), row_ids=links)
        high = floats(_T, "hvdc_max_mw", self.hvdc_max_mw, (nh,), row_ids=links)
        require(low <= high, _T, "hvdc_max_mw", "below hvdc_min_mw", links)
        set_(self, "hvdc_min_mw", low)
        set_(self, "hvdc_max_mw", high)
        require(self.base_mva > 0, _T, "base_mva", "must be positive")
        # Resolving the references validates them.
        _ = (self.branch_from_index, self.branch_to_index, self.hvdc_from_index,
             self.hvdc_to_index)

    @classmethod
    def create(
        cls,
        bus_ids: Sequence[str],
        *,
        areas: Sequence[str] | None = None,
        load_weights: Any = None,
        reference_bus: str | None = None,
        branches: Sequence[tuple[str, str, str, float, float]] = (),
        resistance_pu: Any = 0.0,
        hvdc: Sequence[tuple[str, str, str, float, float]] = (),
        base_mva: float = 100.0,
    ) -> Network:
        """Build from rows.

        ``branches`` rows are ``(id, from_bus, to_bus, reactance_pu, limit_mw)``;
        ``hvdc`` rows are ``(id, from_bus, to_bus, min_mw, max_mw)``. Areas default
        to one area ``"SYSTEM"``; the reference defaults to the first bus.
        """
        n = len(bus_ids)
        branch_cols = list(zip(*branches, strict=True)) if branches else [()] * 5
        hvdc_cols = list(zip(*hvdc, strict=True)) if hvdc else [()] * 5
        return cls(
            bus_ids=np.asarray(bus_ids, dtype=np.str_),
            bus_area=np.asarray(areas if areas is not None else ["SYSTEM"] * n, dtype=np.str_),
            load_weight=np.zeros(n) if load_weights is None else np.asarray(load_weights, float),
            reference_bus=reference_bus if reference_bus is not None else bus_ids[0],
            branch_ids=np.asarray(branch_cols[0], dtype=np.str_),
            branch_from_bus=np.asarray(branch_cols[1], dtype=np.str_),
            branch_to_bus=np.asarray(branch_cols[2], dtype=np.str_),
            reactance_pu=np.asarray(branch_cols[3], dtype=np.float64),
            resistance_pu=np.broadcast_to(
                np.asarray(resistance_pu, dtype=np.float64), (len(branches),)
            ),
            limit_mw=np.asarray(branch_cols[4], dtype=np.float64),
            hvdc_ids=np.asarray(hvdc_cols[0], dtype=np.str_),
            hvdc_from_bus=np.asarray(hvdc_cols[1], dtype=np.str_),
            hvdc_to_bus=np.asarray(hvdc_cols[2], dtype=np.str_),
            hvdc_min_mw=np.asarray(hvdc_cols[3], dtype=np.float64),
            hvdc_max_mw=np.asarray(hvdc_cols[4], dtype=np.float64),
            base_mva=base_mva,
        )

    @property
    def n_buses(self) -> int:
        return int(self.bus_ids.size)

    @property
    def n_branches(self) -> int:
        return int(self.branch_ids.size)

    @property
    def n_hvdc(self) -> int:
        return int(self.hvdc_ids.size)

    def bus_index(
        self,
        names: Sequence[str] | np.ndarray,
        table: str = _T,
        field: str = "bus",
        row_ids: np.ndarray | None = None,
    ) -> IntArray:
        """Positions of the named buses; unknown names raise :class:`InputError`."""
        wanted = np.asarray(names, dtype=np.str_).reshape(-1)
        order = np.argsort(self.bus_ids)
        sorted_ids = self.bus_ids[order]
        pos = np.searchsorted(sorted_ids, wanted).clip(max=max(sorted_ids.size - 1, 0))
        found = sorted_ids[pos] == wanted if wanted.size else np.ones(0, dtype=bool)
        if not np.all(found):
            first = int(np.argmin(found))
            row = str(row_ids[first]) if row_ids is not None else f"#{first}"
            raise InputError(table, field, f"unknown bus {str(wanted[first])!r}", row=row)
        return order[pos].astype(np.int64)

    @cached_property
    def branch_from_index(self) -> IntArray:
        return self.bus_index(self.branch_from_bus, field="branch_from_bus")

    @cached_property
    def branch_to_index(self) -> IntArray:
        return self.bus_index(self.branch_to_bus, field="branch_to_bus")

    @cached_property
    def hvdc_from_index(self) -> IntArray:
        return self.bus_index(self.hvdc_from_bus, field="hvdc_from_bus")

    @cached_property
    def hvdc_to_index(self) -> IntArray:
        return self.bus_index(self.hvdc_to_bus, field="hvdc_to_bus")

    @cached_property
    def reference_index(self) -> int:
        return int(self.bus_index([self.reference_bus])[0])

    @cached_property
    def reference_distribution(self) -> FloatArray:
        """Weights (summing to 1) of the load-distributed reference."""
        total = float(self.load_weight.sum())
        if total > 0:
            return self.load_weight / total
        single = np.zeros(self.n_buses)
        single[self.reference_index] = 1.0
        return single

    @cached_property
    def monitored_branches(self) -> IntArray:
        """Positions of branches with a finite limit."""
        return np.flatnonzero(np.isfinite(self.limit_mw)).astype(np.int64)

    def areas_index(self, areas: Sequence[str]) -> np.ndarray:
        """Boolean mask of the buses in any of ``areas`` (empty = every bus)."""
        if not areas:
            return np.ones(self.n_buses, dtype=bool)
        return np.isin(self.bus_area, np.asarray(areas, dtype=np.str_))
