"""The clearing input of a market run, built from clean bids and the ISO's own data.

* **Offers** come from the clean bids of the market
  (:func:`gridmarket.bidding.queries.market_bids`): generating units with an
  energy bid are offered at their bid curve (:mod:`~gridmarket.markets.bid_offers`);
  units with no bid are left out (the bidding close step has already
  generated bids for resource-adequacy must-offer capacity). Loads, virtual
  bids and storage: :mod:`~gridmarket.markets.bid_demand`. Inter-SC trades
  are settlement only and do not enter the clearing.
* **Master File**: Pmin/Pmax, ramps, minimum up/down times, registered costs,
  ancillary service certification, the bus of each pricing node and the
  members of each aggregated node.
* **The ISO's data** from the RTS-GMLC source (settings ``data_dir``): the
  network (lossless or not per ``parameters.clearing.lossless``), reserve
  requirements, variable resources' forecasts (capping their offers), the
  area load forecast (RUC; real-time demand) and storage limits.

Real time (:func:`real_time_case`) uses the RTM clean bids; a unit's DAM clean
bid carries over for the hours it has no RTM bid; demand is the ISO's
real-time load forecast; FMM intervals average three 5-minute values.

Example::

    case = day_ahead_case(session, date(2020, 7, 15), parameters, data_dir)
    result = clear_day_ahead(case.input)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from gridmarket.bidding.queries import MarketBid, market_bids
from gridmarket.bidding.schema import AncillaryBid, EnergyBid, MarketType, VirtualBid
from gridmarket.calendar import MarketCalendar
from gridmarket.clearing import (
    AggregatedNodes,
    ClearingInput,
    DemandBids,
    Penalties,
    Periods,
)
from gridmarket.config import MarketParameters
from gridmarket.errors import InvalidInput
from gridmarket.markets.bid_demand import (
    DemandRow,
    LoadPoint,
    VirtualRow,
    forecast_demand,
    load_demand,
    storage_table,
    virtual_bids,
)
from gridmarket.markets.bid_offers import UnitFacts, unit_offers
from gridmarket.markets.rts_gmlc_case import (
    CaseOptions,
    SeriesTable,
    rts_network,
    rts_reserves,
    solver_settings,
)
from gridmarket.network.models import NetworkModel
from gridmarket.network.rts_gmlc import RtsSystem, read_rts_gmlc
from gridmarket.network.rts_gmlc_timeseries import day_ahead_series, real_time_series
from gridmarket.resources.models import (
    AggregatedNode,
    AggregatedNodeMember,
    PricingNode,
    Resource,
    ResourceType,
)

RTS_GMLC_FOLDER = "rts-gmlc"
RTD_MINUTES = 5


@dataclass(frozen=True, eq=False)
class MarketCase:
    """A clearing input and what is needed to publish its result.

    Row ``i`` of each input table maps back to a resource (``unit_scid``,
    ``demand_rows``, ``virtual_rows``, ``storage_scid`` give the SCIDs of the
    bids); ``bus_node`` names the pricing node of each bus.
    """

    input: ClearingInput
    interval_start_utc: tuple[datetime, ...]
    interval_minutes: int
    unit_scid: dict[str, str]
    demand_rows: list[DemandRow]
    load_scid: dict[str, str]
    virtual_rows: list[VirtualRow]
    storage_scid: dict[str, str]
    bus_node: dict[str, str]
    network_model_id: int
    forecast_demand_mw: np.ndarray | None = None
    """``(demand row, period)``: the ISO's load forecast on the demand rows (RUC)."""
    is_variable: dict[str, bool] = field(default_factory=dict)


@dataclass
class _BidsByKind:
    energy: dict[str, list[EnergyBid]] = field(default_factory=lambda: defaultdict(list))
    ancillary: dict[str, list[AncillaryBid]] = field(default_factory=lambda: defaultdict(list))
    virtual: list[tuple[int, str, VirtualBid]] = field(default_factory=list)
    scid: dict[str, str] = field(default_factory=dict)

    def add(self, bids: Sequence[MarketBid]) -> None:
        for bid in bids:
            content = bid.content
            if isinstance(content, EnergyBid):
                self.energy[content.resource].append(content)
                self.scid[content.resource] = bid.scid
            elif isinstance(content, AncillaryBid):
                self.ancillary[content.resource].append(content)
            elif isinstance(content, VirtualBid):
                self.virtual.append((bid.bid_id, bid.scid, content))


@dataclass(frozen=True)
class _MasterFile:
    model: NetworkModel
    generators: list[Resource]
    loads: list[LoadPoint]
    bus_node: dict[str, str]
    locations: dict[str, tuple[tuple[str, float], ...]]
    """Pricing or aggregated node name → its buses with weights (summing to 1)."""
    bus_of: dict[str, str]


def _master_file(session: Session, system: RtsSystem) -> _MasterFile:
    model = session.scalar(select(NetworkModel).order_by(NetworkModel.id))
    if model is None:
        raise InvalidInput("no network model is loaded; run `gridmarket load rts-gmlc`",
                           field="network_model")
    nodes = session.scalars(select(PricingNode).where(PricingNode.network_model_id == model.id)
                            .order_by(PricingNode.bus_number)).all()
    bus_node = {str(node.bus_number): node.name for node in nodes}
    bus_by_node_id = {node.id: str(node.bus_number) for node in nodes}
    locations: dict[str, tuple[tuple[str, float], ...]] = {
        node.name: ((str(node.bus_number), 1.0),) for node in nodes
    }
    aggregated = session.scalars(select(AggregatedNode).options(
        selectinload(AggregatedNode.members)).order_by(AggregatedNode.name)).all()
    for agg in aggregated:
        members = [(bus_by_node_id[m.pricing_node_id], float(m.weight))
                   for m in sorted(agg.members, key=_member_order)
                   if m.pricing_node_id in bus_by_node_id and m.weight > 0]
        total = sum(w for _, w in members)
        if total > 0:
            locations[agg.name] = tuple((bus, w / total) for bus, w in members)
    resources = session.scalars(select(Resource).order_by(Resource.resource_id)).all()
    known_buses = {str(bus.bus_id) for bus in system.buses}
    generators, loads, bus_of = [], [], {}
    for resource in resources:
        if resource.resource_type is ResourceType.LOAD and resource.aggregated_node is not None:
            node = resource.aggregated_node
            if node.name in locations:
                loads.append(LoadPoint(resource.resource_id, node.name, node.area,
                                       locations[node.name]))
        elif resource.pricing_node_id in bus_by_node_id:
            bus = bus_by_node_id[resource.pricing_node_id]
            if bus in known_buses:
                bus_of[resource.resource_id] = bus
                if resource.resource_type is ResourceType.GENERATOR:
                    generators.append(resource)
    return _MasterFile(model, generators, loads, bus_node, locations, bus_of)


def _member_order(member: AggregatedNodeMember) -> int:
    return member.pricing_node_id


def _aggregated_nodes(master: _MasterFile, bus_ids: Sequence[str]) -> AggregatedNodes | None:
    pricing = set(master.bus_node.values())
    nodes = {name: dict(members) for name, members in sorted(master.locations.items())
             if name not in pricing}
    return AggregatedNodes.create(nodes, list(bus_ids)) if nodes else None


def _check_locations(bids: _BidsByKind, master: _MasterFile) -> None:
    for bid_id, _scid, bid in bids.virtual:
        if bid.location not in master.locations:
            raise InvalidInput(f"virtual bid {bid_id}: unknown location {bid.location!r}",
                               field="location")


def _units(bids: _BidsByKind, master: _MasterFile, system: RtsSystem,
           with_bids: bool = True) -> list[UnitFacts]:
    generators = {g.uid: g for g in system.generators}
    return [UnitFacts(r, master.bus_of[r.resource_id], generators.get(r.resource_id))
            for r in master.generators if not with_bids or r.resource_id in bids.energy]


def _area_loads(series: SeriesTable, system: RtsSystem) -> dict[int, np.ndarray]:
    out = {}
    for area in system.areas:
        values = series.get("area_load", str(area))
        if values is not None:
            out[area] = values
    return out


def day_ahead_case(
    session: Session,
    trade_date: date,
    parameters: MarketParameters,
    data_dir: Path,
    *,
    bids: Sequence[MarketBid] | None = None,
) -> MarketCase:
    """The IFM input of ``trade_date`` from the DAM clean bids (read if not given)."""
    source = data_dir / RTS_GMLC_FOLDER
    system = read_rts_gmlc(source)
    calendar = MarketCalendar(parameters)
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    n_periods = calendar.hours_in_day(trade_date)
    series = SeriesTable(day_ahead_series(source, start, end), n_periods)
    master = _master_file(session, system)
    by_kind = _BidsByKind()
    by_kind.add(bids if bids is not None else market_bids(session, MarketType.DAM, trade_date))
    _check_locations(by_kind, master)
    options = CaseOptions(lossless=parameters.clearing.lossless)
    network = rts_network(system, options)
    facts = _units(by_kind, master, system)
    if not facts:
        raise InvalidInput(f"no supply bids for the DAM of {trade_date}: nothing can clear",
                           field="trade_date")
    units = unit_offers(facts, by_kind.energy, by_kind.ancillary,
                        period_hour=np.arange(n_periods), period_minutes=60.0,
                        forecast=series, rules=parameters.bids)
    demand, demand_rows = load_demand(master.loads, by_kind.energy, n_periods=n_periods)
    virtual, virtual_rows = virtual_bids(by_kind.virtual, master.locations, n_periods=n_periods)
    inp = ClearingInput(
        network=network,
        periods=Periods.uniform(n_periods, 60.0),
        units=units,
        demand=demand,
        virtual_bids=virtual,
        storage=storage_table(system, by_kind.energy, master.bus_of, n_periods=n_periods),
        reserves=rts_reserves(system, series),
        aggregated_nodes=_aggregated_nodes(master, network.bus_ids.tolist()),
        penalties=Penalties.from_rules(parameters.clearing, parameters.bids),
        settings=solver_settings(parameters, options),
    )
    forecast = forecast_demand(demand_rows, master.loads, _area_loads(series, system), n_periods)
    return MarketCase(
        input=inp,
        interval_start_utc=tuple(start + timedelta(hours=k) for k in range(n_periods)),
        interval_minutes=60,
        unit_scid={f.resource.resource_id: by_kind.scid[f.resource.resource_id] for f in facts},
        demand_rows=demand_rows,
        load_scid={r: s for r, s in by_kind.scid.items()
                   if any(row.resource_id == r for row in demand_rows)},
        virtual_rows=virtual_rows,
        storage_scid={s: by_kind.scid[s] for s in (inp.storage.storage_ids.tolist()
                                                   if inp.storage is not None else [])},
        bus_node=master.bus_node,
        network_model_id=master.model.id,
        forecast_demand_mw=forecast,
        is_variable={f.resource.resource_id: f.resource.is_variable for f in facts},
    )


def fifteen_minute_series(frame: pl.DataFrame) -> pl.DataFrame:
    """5-minute series averaged over each 15-minute interval (FMM).

    Example::

        >>> from datetime import UTC
        >>> t0 = datetime(2020, 7, 15, 7, tzinfo=UTC)
        >>> f = pl.DataFrame({"interval_start_utc": [t0 + timedelta(minutes=5 * k)
        ...                   for k in range(3)], "kind": ["area_load"] * 3,
        ...                   "object_id": ["1"] * 3, "value_mw": [1.0, 2.0, 6.0]})
        >>> fifteen_minute_series(f)["value_mw"].to_list()
        [3.0]
    """
    return (frame.with_columns(pl.col("interval_start_utc").dt.truncate("15m"))
            .group_by("kind", "object_id", "interval_start_utc", maintain_order=True)
            .agg(pl.col("value_mw").mean()))


def real_time_case(
    session: Session,
    trade_date: date,
    parameters: MarketParameters,
    data_dir: Path,
    *,
    interval_minutes: int,
    rtm_bids: Sequence[MarketBid] | None = None,
    dam_bids: Sequence[MarketBid] | None = None,
) -> MarketCase:
    """The whole-day real-time input (FMM: 15-minute, RTD: 5-minute intervals)."""
    source = data_dir / RTS_GMLC_FOLDER
    system = read_rts_gmlc(source)
    calendar = MarketCalendar(parameters)
    start, end = calendar.trade_day_start_utc(trade_date), calendar.trade_day_end_utc(trade_date)
    n = int((end - start) / timedelta(minutes=interval_minutes))
    frame = real_time_series(source, start, end)
    if interval_minutes != RTD_MINUTES:
        frame = fifteen_minute_series(frame)
    series = SeriesTable(frame, n)
    master = _master_file(session, system)
    by_kind = _BidsByKind()
    # DAM first: an RTM bid for the same hour replaces it (later hours win in merged_hours).
    by_kind.add(dam_bids if dam_bids is not None
                else market_bids(session, MarketType.DAM, trade_date))
    by_kind.add(rtm_bids if rtm_bids is not None
                else market_bids(session, MarketType.RTM, trade_date))
    by_kind.virtual.clear()  # virtual bids clear in the IFM only
    options = CaseOptions(lossless=parameters.clearing.lossless)
    network = rts_network(system, options)
    facts = _units(by_kind, master, system)
    period_hour = (np.arange(n) * interval_minutes // 60).astype(np.int64)
    units = unit_offers(facts, by_kind.energy, by_kind.ancillary, period_hour=period_hour,
                        period_minutes=float(interval_minutes), forecast=series,
                        rules=parameters.bids)
    rows = [DemandRow(load.resource_id, bus, weight)
            for load in master.loads for bus, weight in load.bus_weights]
    fixed = forecast_demand(rows, master.loads, _area_loads(series, system), n)
    demand = DemandBids.create([f"{r.resource_id}@{r.bus_id}" for r in rows],
                               [r.bus_id for r in rows], n, fixed_mw=fixed)
    inp = ClearingInput(
        network=network,
        periods=Periods.uniform(n, float(interval_minutes)),
        units=units,
        demand=demand,
        reserves=rts_reserves(system, series),
        aggregated_nodes=_aggregated_nodes(master, network.bus_ids.tolist()),
        penalties=Penalties.from_rules(parameters.clearing, parameters.bids),
        settings=solver_settings(parameters, options),
    )
    return MarketCase(
        input=inp,
        interval_start_utc=tuple(start + timedelta(minutes=interval_minutes * k)
                                 for k in range(n)),
        interval_minutes=interval_minutes,
        unit_scid={f.resource.resource_id: by_kind.scid[f.resource.resource_id] for f in facts},
        demand_rows=rows,
        load_scid={},
        virtual_rows=[],
        storage_scid={},
        bus_node=master.bus_node,
        network_model_id=master.model.id,
        is_variable={f.resource.resource_id: f.resource.is_variable for f in facts},
    )
