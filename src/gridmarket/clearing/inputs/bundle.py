"""The complete clearing input, with the checks that span several tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gridmarket.clearing.inputs._checks import FloatArray, InputError, StrArray, floats, ids
from gridmarket.clearing.inputs.demand import DemandBids, VirtualBids
from gridmarket.clearing.inputs.network import Network
from gridmarket.clearing.inputs.penalties import Penalties, SolverSettings
from gridmarket.clearing.inputs.periods import Periods
from gridmarket.clearing.inputs.reserves import ReserveRequirements
from gridmarket.clearing.inputs.storage import Storage
from gridmarket.clearing.inputs.units import NO_SELF_SCHEDULE, UnitOffers


@dataclass(frozen=True, eq=False)
class AggregatedNodes:
    """Aggregated pricing nodes: weights ``(node, bus)``, normalised per node.

    Example::

        >>> agg = AggregatedNodes.create({"LAP": {"A": 1.0, "B": 3.0}}, ["A", "B"])
        >>> agg.weight.tolist()
        [[0.25, 0.75]]
    """

    node_ids: StrArray
    weight: FloatArray

    def __post_init__(self) -> None:
        nodes = ids("AggregatedNodes", "node_ids", self.node_ids)
        object.__setattr__(self, "node_ids", nodes)
        raw = np.asarray(self.weight, dtype=np.float64)
        w = floats("AggregatedNodes", "weight", raw, (nodes.size, raw.shape[-1]), row_ids=nodes)
        totals = w.sum(axis=1)
        if np.any(w < 0) or np.any(totals <= 0):
            bad = int(np.argmax((w < 0).any(axis=1) | (totals <= 0)))
            raise InputError("AggregatedNodes", "weight", "weights must be >= 0, not all zero",
                             row=str(nodes[bad]))
        normalised = w / totals[:, None]
        normalised.flags.writeable = False
        object.__setattr__(self, "weight", normalised)

    @classmethod
    def create(
        cls, nodes: Mapping[str, Mapping[str, float]], bus_ids: Sequence[str]
    ) -> AggregatedNodes:
        """From ``{node: {bus: weight}}``; buses not named get weight 0."""
        position = {bus: i for i, bus in enumerate(bus_ids)}
        weight = np.zeros((len(nodes), len(bus_ids)))
        for row, members in enumerate(nodes.values()):
            for bus, value in members.items():
                if bus not in position:
                    raise InputError("AggregatedNodes", "weight", f"unknown bus {bus!r}",
                                     row=list(nodes)[row])
                weight[row, position[bus]] = value
        return cls(node_ids=np.asarray(list(nodes), dtype=np.str_), weight=weight)


@dataclass(frozen=True, eq=False)
class ClearingInput:
    """Everything one market run clears: network, periods, offers, bids, requirements.

    Optional tables may be ``None``. ``base_case_injection_mw`` ``(bus, period)``
    is the operating point around which losses are linearised; without it the
    engine takes a lossless relaxed solve as the base case.

    Example::

        >>> from gridmarket.clearing.synthetic import two_bus_system
        >>> inp = two_bus_system(limit_mw=100.0)
        >>> inp.periods.count, inp.units.n_units
        (1, 2)
    """

    network: Network
    periods: Periods
    units: UnitOffers
    demand: DemandBids
    virtual_bids: VirtualBids | None = None
    storage: Storage | None = None
    reserves: ReserveRequirements | None = None
    aggregated_nodes: AggregatedNodes | None = None
    penalties: Penalties = field(default_factory=Penalties.from_rules)
    settings: SolverSettings = field(default_factory=SolverSettings.from_rules)
    base_case_injection_mw: FloatArray | None = None

    def __post_init__(self) -> None:
        t = self.periods.count
        net = self.network
        none = np.array([], dtype=np.str_)
        tables: list[tuple[str, np.ndarray, np.ndarray, int]] = [
            ("UnitOffers", self.units.unit_ids, self.units.bus_ids, self.units.n_periods),
            ("DemandBids", self.demand.load_ids, self.demand.bus_ids,
             self.demand.fixed_mw.shape[1]),
        ]
        if self.virtual_bids is not None:
            vb = self.virtual_bids
            tables.append(("VirtualBids", vb.bid_ids, vb.bus_ids, vb.bid_mw.shape[1]))
        if self.storage is not None:
            st = self.storage
            tables.append(("Storage", st.storage_ids, st.bus_ids, st.charge_max_mw.shape[1]))
        if self.reserves is not None:
            tables.append(("ReserveRequirements", none, none,
                           self.reserves.requirement_mw.shape[2]))
        for table, element_ids, buses, periods in tables:
            if periods != t:
                raise InputError(table, "periods", f"has {periods} periods, expected {t}")
            net.bus_index(buses, table=table, field="bus_ids", row_ids=element_ids)
        known = set(self.penalties.self_schedule_usd_per_mwh)
        kinds = self.units.self_schedule_type
        unknown = (kinds != NO_SELF_SCHEDULE) & ~np.isin(kinds, list(known))
        if np.any(unknown):
            i = int(np.argmax(unknown))
            raise InputError("UnitOffers", "self_schedule_type",
                             f"unknown type {str(kinds[i])!r}; known: {sorted(known)}",
                             row=str(self.units.unit_ids[i]))
        if self.reserves is not None:
            areas = set(net.bus_area.tolist())
            for zone, members in zip(self.reserves.zone_ids, self.reserves.zone_areas,
                                     strict=True):
                missing = set(members) - areas
                if missing:
                    raise InputError("ReserveRequirements", "zone_areas",
                                     f"unknown areas {sorted(missing)}", row=str(zone))
        if self.aggregated_nodes is not None and \
                self.aggregated_nodes.weight.shape[1] != net.n_buses:
            raise InputError("AggregatedNodes", "weight", "needs one column per bus")
        if self.base_case_injection_mw is not None:
            base = floats("ClearingInput", "base_case_injection_mw",
                          self.base_case_injection_mw, (net.n_buses, t))
            object.__setattr__(self, "base_case_injection_mw", base)
