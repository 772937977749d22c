"""Reader of the RTS-GMLC test system (static data): a pure function of the files.

:func:`read_rts_gmlc` reads ``SourceData/`` (``bus.csv``, ``branch.csv``,
``dc_branch.csv``, ``gen.csv``, ``storage.csv``, ``reserves.csv``,
``timeseries_pointers.csv``) and returns plain frozen dataclasses, with the
figures the Master File needs derived from the raw columns:

* min up/down times rounded **up** to whole hours (raw values kept);
* start-up costs hot/warm/cold = start heat (MMBtu) × fuel price + non-fuel
  start cost; the Master File start-up cost is the **hot** start;
* minimum-load cost = ``HR_avg_0`` × Pmin × fuel price / 1000 (+ VOM × Pmin);
* the incremental cost curve from the incremental heat rates
  (``HR_incr_i`` × fuel price / 1000 + VOM, $/MWh per segment), made monotone
  by pooling adjacent violators if the data ever were not;
* resource kind (generator / storage) and flags (thermal, renewable,
  variable, hydro, sync condenser, must-take).

Time series are read by :mod:`gridmarket.network.rts_gmlc_timeseries`.
Every derivation is described in ``docs/rts-gmlc.md``.

Example::

    >>> from gridmarket.config import get_settings
    >>> system = read_rts_gmlc(get_settings().rts_gmlc_dir)  # doctest: +SKIP
    >>> len(system.buses), len(system.branches), len(system.generators)  # doctest: +SKIP
    (73, 120, 158)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from gridmarket.network.csv_tables import CsvTable, RtsDataError, read_csv_table

__all__ = [
    "THERMAL_FUELS",
    "Branch",
    "Bus",
    "CostSegment",
    "DcLine",
    "Generator",
    "Reserve",
    "RtsDataError",
    "RtsSystem",
    "StorageUnit",
    "TimeseriesPointer",
    "find_case_insensitive",
    "read_rts_gmlc",
    "read_timeseries_pointers",
    "resolve_data_file",
    "source_data_dir",
]

THERMAL_FUELS = frozenset({"NG", "Oil", "Coal", "Nuclear"})
"""``gen.csv`` fuels of units that burn fuel (the thermal fleet)."""
RENEWABLE_FUELS = frozenset({"Wind", "Solar", "Hydro"})
"""``gen.csv`` fuels counted as renewable."""

ResourceKind = Literal["generator", "storage"]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Bus:
    """A bus of ``bus.csv``; ``load_share_mw`` is its ``MW Load`` (weight within its area)."""

    bus_id: int
    name: str
    base_kv: float
    bus_type: str
    area: int
    load_share_mw: float
    lat: float
    lng: float


@dataclass(frozen=True, slots=True)
class Branch:
    """An AC line or transformer of ``branch.csv``; impedances in per unit (100 MVA base).

    ``tap_ratio`` is ``Tr Ratio`` for a transformer and 1.0 for a line
    (``Tr Ratio`` = 0 in the file).
    """

    uid: str
    from_bus: int
    to_bus: int
    r_pu: float
    x_pu: float
    b_pu: float
    cont_rating_mw: float
    lte_rating_mw: float
    ste_rating_mw: float
    is_transformer: bool
    tap_ratio: float
    length_miles: float


@dataclass(frozen=True, slots=True)
class DcLine:
    """The HVDC link of ``dc_branch.csv``.

    ``max_flow_mw`` is the ``MW Load`` column ("Power demand (MW)"), the
    scheduled power of a link in ``Power`` control mode: the only MW figure of
    the file, used as the flow limit in either direction.
    ``loss_at_max_flow_mw`` is the DC line's resistive loss at that flow,
    (P / V)² × R with ``R Line`` (Ω) and ``V Mag kV`` (converter losses are
    not in the data).
    """

    uid: str
    from_bus: int
    to_bus: int
    control_mode: str
    max_flow_mw: float
    r_line_ohm: float
    v_mag_kv: float
    loss_at_max_flow_mw: float


class CostSegment(NamedTuple):
    """One segment of an incremental cost curve: ``usd_per_mwh`` from ``mw_from`` to ``mw_to``."""

    mw_from: float
    mw_to: float
    usd_per_mwh: float


@dataclass(frozen=True, slots=True)
class Generator:
    """A unit of ``gen.csv`` (thermal, hydro, wind, PV, rooftop PV, CSP, storage, sync condenser).

    Costs are derived as described in the module docstring; raw inputs are
    kept alongside. ``start_time_*_hours`` are the off-times after which a
    hot/warm/cold start applies (not start-up durations, which the data set
    does not give).
    """

    uid: str
    bus_id: int
    area: int
    gen_id: int
    unit_group: str
    unit_type: str
    category: str
    fuel: str
    resource_kind: ResourceKind
    is_thermal: bool
    is_renewable: bool
    is_variable: bool
    """Output limited by a time series (wind, PV, rooftop PV, hydro, CSP)."""
    is_must_take: bool
    """Pmin follows the same time series as Pmax (hydro and rooftop PV)."""
    is_hydro: bool
    is_sync_condenser: bool
    p_max_mw: float
    p_min_mw: float
    q_max_mvar: float
    q_min_mvar: float
    ramp_mw_per_min: float
    min_up_hours: int
    min_down_hours: int
    min_up_hours_raw: float
    min_down_hours_raw: float
    start_time_hot_hours: float
    start_time_warm_hours: float
    start_time_cold_hours: float
    start_heat_hot_mmbtu: float
    start_heat_warm_mmbtu: float
    start_heat_cold_mmbtu: float
    fuel_price_usd_per_mmbtu: float
    vom_usd_per_mwh: float
    non_fuel_start_cost_usd: float
    non_fuel_shutdown_cost_usd: float
    start_up_cost_hot_usd: float
    start_up_cost_warm_usd: float
    start_up_cost_cold_usd: float
    start_up_cost_usd: float
    """The Master File start-up cost: the hot start cost."""
    heat_rate_output_mw: tuple[float, ...]
    """Output points of the heat-rate curve (``Output_pct_i`` × Pmax); empty if none."""
    heat_rate_avg_0_btu_per_kwh: float
    """Average heat rate from 0 to the first output point (``HR_avg_0``)."""
    heat_rate_incr_btu_per_kwh: tuple[float, ...]
    """Incremental heat rate of each segment between consecutive output points."""
    no_load_cost_usd_per_hour: float
    """Cost of running at Pmin ($/h): the Master File minimum-load cost."""
    incremental_cost_curve: tuple[CostSegment, ...]
    cost_curve_adjusted: bool
    """True if segment costs were pooled to make the curve monotone."""
    pump_load_mw: float
    storage_roundtrip_efficiency: float | None
    co2_lbs_per_mmbtu: float | None

    @property
    def min_load_cost_usd_per_hour(self) -> float:
        """Alias of :attr:`no_load_cost_usd_per_hour` (cost at Pmin)."""
        return self.no_load_cost_usd_per_hour

    @property
    def is_storage(self) -> bool:
        """Whether the Master File resource type is storage."""
        return self.resource_kind == "storage"

    def cost_at_mw(self, mw: float) -> float:
        """Total operating cost ($/h) at output ``mw`` between Pmin and Pmax.

        Example::

            >>> unit = read_rts_gmlc(rts_dir).generator("101_STEAM_3")  # doctest: +SKIP
            >>> round(unit.cost_at_mw(30.0), 2)  # doctest: +SKIP
            841.58
        """
        cost = self.no_load_cost_usd_per_hour
        for segment in self.incremental_cost_curve:
            if mw <= segment.mw_from:
                break
            cost += (min(mw, segment.mw_to) - segment.mw_from) * segment.usd_per_mwh
        return cost


@dataclass(frozen=True, slots=True)
class StorageUnit:
    """A storage attached to a unit (``storage.csv`` head row, plus ``gen.csv`` figures).

    Battery ``313_STORAGE_1`` is modelled upstream as a head and a tail
    reservoir of equal size; its energy capacity is the head reservoir's.
    Hydro reservoirs and the CSP thermal store are listed too.
    """

    gen_uid: str
    unit_type: str
    storage_name: str
    max_energy_mwh: float
    initial_energy_mwh: float
    inflow_limit_mwh: float | None
    rating_mva: float | None
    charge_mw: float
    """Pump load (charging) MW from ``gen.csv``; 0 if the unit cannot charge from the grid."""
    discharge_mw: float
    roundtrip_efficiency: float | None
    """Fraction (``Storage Roundtrip Efficiency`` % / 100), ``None`` if not given."""
    tail_storage_name: str | None
    tail_max_energy_mwh: float | None


@dataclass(frozen=True, slots=True)
class Reserve:
    """A reserve product of ``reserves.csv``.

    ``requirement_mw`` is the file's static figure; where a time series is
    given (``day_ahead_data_file`` / ``real_time_data_file``, pointer text as
    written) it is the requirement to use.
    """

    product: str
    timeframe_seconds: float
    requirement_mw: float
    eligible_areas: tuple[int, ...]
    eligible_device_categories: tuple[str, ...]
    eligible_categories: tuple[str, ...]
    direction: Literal["up", "down"]
    day_ahead_data_file: str | None
    real_time_data_file: str | None


@dataclass(frozen=True, slots=True)
class TimeseriesPointer:
    """A row of ``timeseries_pointers.csv``.

    ``scaling_factor`` is a normalisation divisor: the pointed files hold MW
    already (see ``docs/rts-gmlc.md``), so it is not multiplied in.
    """

    simulation: Literal["DAY_AHEAD", "REAL_TIME"]
    category: str
    object_id: str
    parameter: str
    scaling_factor: float
    data_file: str
    file_row: int


@dataclass(frozen=True)
class RtsSystem:
    """The RTS-GMLC system as read from ``SourceData/``."""

    source_dir: Path
    source_data_dir: Path
    buses: tuple[Bus, ...]
    branches: tuple[Branch, ...]
    dc_lines: tuple[DcLine, ...]
    generators: tuple[Generator, ...]
    storage: tuple[StorageUnit, ...]
    reserves: tuple[Reserve, ...]
    timeseries_pointers: tuple[TimeseriesPointer, ...]
    area_loads: dict[int, float] = field(hash=False)
    """Sum of bus ``MW Load`` per area: the weights of the default load aggregation point."""

    @property
    def areas(self) -> tuple[int, ...]:
        """Area numbers, ascending."""
        return tuple(sorted(self.area_loads))

    def area_of_bus(self, bus_id: int) -> int:
        """The area of ``bus_id``.

        Example::

            >>> system.area_of_bus(101)  # doctest: +SKIP
            1
        """
        return self.bus(bus_id).area

    def bus(self, bus_id: int) -> Bus:
        """The bus numbered ``bus_id`` (``KeyError`` if there is none)."""
        for bus in self.buses:
            if bus.bus_id == bus_id:
                return bus
        raise KeyError(bus_id)

    def generator(self, uid: str) -> Generator:
        """The unit whose ``GEN UID`` is ``uid`` (``KeyError`` if there is none)."""
        for unit in self.generators:
            if unit.uid == uid:
                return unit
        raise KeyError(uid)

    def unit_of_object(self, object_id: str) -> str | None:
        """The ``GEN UID`` a pointer object refers to: the unit itself or a storage's owner.

        The CSP natural-inflow pointer names the storage ``212_CSP_HEAD_STORAGE``
        whose unit is ``212_CSP_1``.
        """
        if any(g.uid == object_id for g in self.generators):
            return object_id
        for unit in self.storage:
            if object_id in (unit.storage_name, unit.tail_storage_name):
                return unit.gen_uid
        return None

    def load_weights(self, area: int) -> dict[int, float]:
        """Bus → share of the area's load (sums to 1): the area's load distribution.

        Example::

            >>> round(sum(system.load_weights(1).values()), 9)  # doctest: +SKIP
            1.0
        """
        total = self.area_loads[area]
        return {b.bus_id: b.load_share_mw / total for b in self.buses if b.area == area}

    def reserve_eligible_units(self, product: str) -> tuple[str, ...]:
        """``GEN UID`` of units whose area and category make them eligible for ``product``."""
        reserve = next((r for r in self.reserves if r.product == product), None)
        if reserve is None:
            raise KeyError(product)
        return tuple(
            g.uid
            for g in self.generators
            if g.area in reserve.eligible_areas and g.category in reserve.eligible_categories
        )


# --------------------------------------------------------------------------- paths


def find_case_insensitive(folder: Path, name: str) -> Path | None:
    """``folder / name``, matching the name case-insensitively if the exact one is absent."""
    exact = folder / name
    if exact.exists():
        return exact
    if not folder.is_dir():
        return None
    wanted = name.lower()
    for entry in sorted(folder.iterdir()):
        if entry.name.lower() == wanted:
            return entry
    return None


def source_data_dir(source_dir: Path) -> Path:
    """The ``SourceData`` folder of an RTS-GMLC copy (or ``source_dir`` itself if it is one).

    Example::

        >>> source_data_dir(Path("/data/rts-gmlc")).name  # doctest: +SKIP
        'SourceData'
    """
    source_dir = Path(source_dir)
    found = find_case_insensitive(source_dir, "SourceData")
    if found is not None and found.is_dir():
        return found
    if (source_dir / "gen.csv").is_file():
        return source_dir
    if not source_dir.exists():
        raise RtsDataError(f"RTS-GMLC folder not found: {source_dir}")
    raise RtsDataError(f"RTS-GMLC folder has no SourceData: {source_dir}")


def resolve_data_file(source_data: Path, pointer: str) -> Path | None:
    """Resolve a ``Data File`` pointer relative to ``SourceData``, case-insensitively.

    Upstream pointers name ``HYDRO/`` and ``REAL_TIME_regional_load.csv``
    while the folders and files on disk are ``Hydro/`` and ``..._Load.csv``;
    each path component is matched ignoring case. Returns ``None`` if no file
    matches (several real-time files are not shipped).

    Example::

        >>> pointer = "../timeseries_data_files/HYDRO/DAY_AHEAD_hydro.csv"
        >>> resolve_data_file(source_data, pointer).parent.name  # doctest: +SKIP
        'Hydro'
    """
    current = Path(source_data)
    for part in pointer.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            current = current.parent
            continue
        found = find_case_insensitive(current, part)
        if found is None:
            return None
        current = found
    return current if current.is_file() else None


def _table(source_data: Path, name: str) -> CsvTable:
    path = find_case_insensitive(source_data, name)
    if path is None:
        raise RtsDataError(f"RTS-GMLC file not found: {source_data / name}")
    return read_csv_table(path)


# --------------------------------------------------------------------------- reader


def read_rts_gmlc(source_dir: Path) -> RtsSystem:
    """Read the RTS-GMLC static data from ``source_dir`` (the folder holding ``SourceData/``).

    Raises :class:`RtsDataError` naming the file, row and column of any bad
    or missing value, a missing column, or a missing file with its path.

    Example::

        >>> from gridmarket.config import get_settings
        >>> system = read_rts_gmlc(get_settings().rts_gmlc_dir)  # doctest: +SKIP
        >>> unit = system.generator("101_STEAM_3")  # doctest: +SKIP
        >>> unit.p_max_mw, unit.min_up_hours, round(unit.start_up_cost_usd, 2)  # doctest: +SKIP
        (76.0, 8, 7144.02)
    """
    source_dir = Path(source_dir)
    source_data = source_data_dir(source_dir)
    buses = _read_buses(_table(source_data, "bus.csv"))
    bus_area = {b.bus_id: b.area for b in buses}
    branches = _read_branches(_table(source_data, "branch.csv"), bus_area)
    dc_lines = _read_dc_lines(_table(source_data, "dc_branch.csv"), bus_area)
    pointers = read_timeseries_pointers(source_dir)
    storage_table = _table(source_data, "storage.csv")
    storage_table.require_columns("GEN UID", "Storage")
    storage_owner = {
        storage_table.text(i, "Storage"): storage_table.text(i, "GEN UID")
        for i in range(len(storage_table))
    }
    generators = _read_generators(_table(source_data, "gen.csv"), bus_area, pointers, storage_owner)
    storage = _read_storage(storage_table, generators)
    reserves = _read_reserves(_table(source_data, "reserves.csv"), pointers)
    area_loads: dict[int, float] = {}
    for bus in buses:
        area_loads[bus.area] = area_loads.get(bus.area, 0.0) + bus.load_share_mw
    return RtsSystem(
        source_dir=source_dir,
        source_data_dir=source_data,
        buses=buses,
        branches=branches,
        dc_lines=dc_lines,
        generators=generators,
        storage=storage,
        reserves=reserves,
        timeseries_pointers=pointers,
        area_loads=dict(sorted(area_loads.items())),
    )


def read_timeseries_pointers(source_dir: Path) -> tuple[TimeseriesPointer, ...]:
    """Read ``timeseries_pointers.csv`` (paths as written; resolve with :func:`resolve_data_file`).

    Example::

        >>> pointers = read_timeseries_pointers(get_settings().rts_gmlc_dir)  # doctest: +SKIP
        >>> pointers[0].object_id, pointers[0].data_file  # doctest: +SKIP
        ('122_HYDRO_1', '../timeseries_data_files/HYDRO/DAY_AHEAD_hydro.csv')
    """
    table = _table(source_data_dir(Path(source_dir)), "timeseries_pointers.csv")
    table.require_columns("Simulation", "Category", "Object", "Parameter", "Data File")
    pointers = []
    for i in range(len(table)):
        simulation = table.text(i, "Simulation").upper()
        if simulation not in ("DAY_AHEAD", "REAL_TIME"):
            raise table.error(i, "Simulation", f"{simulation!r} is not DAY_AHEAD or REAL_TIME")
        factor = table.optional_number(i, "Scaling Factor")
        pointers.append(
            TimeseriesPointer(
                simulation="DAY_AHEAD" if simulation == "DAY_AHEAD" else "REAL_TIME",
                category=table.text(i, "Category"),
                object_id=table.text(i, "Object"),
                parameter=table.text(i, "Parameter"),
                scaling_factor=1.0 if factor is None else factor,
                data_file=table.text(i, "Data File"),
                file_row=table.file_row(i),
            )
        )
    return tuple(pointers)


def _read_buses(table: CsvTable) -> tuple[Bus, ...]:
    table.require_columns("Bus ID", "Bus Name", "BaseKV", "MW Load", "Area", "lat", "lng")
    buses: list[Bus] = []
    seen: set[int] = set()
    for i in range(len(table)):
        bus_id = table.integer(i, "Bus ID")
        if bus_id in seen:
            raise table.error(i, "Bus ID", f"bus {bus_id} appears twice")
        seen.add(bus_id)
        buses.append(
            Bus(
                bus_id=bus_id,
                name=table.text(i, "Bus Name"),
                base_kv=table.number(i, "BaseKV"),
                bus_type=table.text(i, "Bus Type", allow_empty=True)
                if table.has_column("Bus Type")
                else "",
                area=table.integer(i, "Area"),
                load_share_mw=table.number(i, "MW Load"),
                lat=table.number(i, "lat"),
                lng=table.number(i, "lng"),
            )
        )
    return tuple(buses)


def _bus_ref(table: CsvTable, i: int, column: str, bus_area: dict[int, int]) -> int:
    bus_id = table.integer(i, column)
    if bus_id not in bus_area:
        raise table.error(i, column, f"bus {bus_id} is not in bus.csv")
    return bus_id


def _read_branches(table: CsvTable, bus_area: dict[int, int]) -> tuple[Branch, ...]:
    table.require_columns(
        "UID", "From Bus", "To Bus", "R", "X", "B", "Cont Rating", "LTE Rating", "STE Rating"
    )
    branches = []
    for i in range(len(table)):
        ratio = table.optional_number(i, "Tr Ratio") or 0.0
        x_pu = table.number(i, "X")
        if x_pu == 0:
            raise table.error(i, "X", "reactance is zero")
        branches.append(
            Branch(
                uid=table.text(i, "UID"),
                from_bus=_bus_ref(table, i, "From Bus", bus_area),
                to_bus=_bus_ref(table, i, "To Bus", bus_area),
                r_pu=table.number(i, "R"),
                x_pu=x_pu,
                b_pu=table.number(i, "B"),
                cont_rating_mw=table.number(i, "Cont Rating"),
                lte_rating_mw=table.number(i, "LTE Rating"),
                ste_rating_mw=table.number(i, "STE Rating"),
                is_transformer=ratio != 0.0,
                tap_ratio=ratio if ratio != 0.0 else 1.0,
                length_miles=table.optional_number(i, "Length") or 0.0,
            )
        )
    return tuple(branches)


def _read_dc_lines(table: CsvTable, bus_area: dict[int, int]) -> tuple[DcLine, ...]:
    table.require_columns("UID", "From Bus", "To Bus", "MW Load")
    lines = []
    for i in range(len(table)):
        max_flow_mw = table.number(i, "MW Load")
        if max_flow_mw < 0:
            raise table.error(i, "MW Load", f"{max_flow_mw!r} is negative")
        r_ohm = table.optional_number(i, "R Line") or 0.0
        v_kv = table.optional_number(i, "V Mag kV") or 0.0
        loss = (max_flow_mw / v_kv) ** 2 * r_ohm if v_kv > 0 else 0.0
        lines.append(
            DcLine(
                uid=table.text(i, "UID"),
                from_bus=_bus_ref(table, i, "From Bus", bus_area),
                to_bus=_bus_ref(table, i, "To Bus", bus_area),
                control_mode=table.text(i, "Control Mode", allow_empty=True)
                if table.has_column("Control Mode")
                else "",
                max_flow_mw=max_flow_mw,
                r_line_ohm=r_ohm,
                v_mag_kv=v_kv,
                loss_at_max_flow_mw=loss,
            )
        )
    return tuple(lines)


# --------------------------------------------------------------------------- generators

_GEN_REQUIRED = (
    "GEN UID",
    "Bus ID",
    "Unit Type",
    "Category",
    "Fuel",
    "PMax MW",
    "PMin MW",
    "Min Down Time Hr",
    "Min Up Time Hr",
    "Ramp Rate MW/Min",
    "Fuel Price $/MMBTU",
    "Output_pct_0",
    "Output_pct_1",
    "Output_pct_2",
    "Output_pct_3",
    "HR_avg_0",
    "HR_incr_1",
    "HR_incr_2",
    "HR_incr_3",
)
_MAX_HEAT_RATE_POINTS = 10


def _start_heat_columns(kind: str) -> tuple[str, str]:
    # The file says MBTU; the upstream README (and the magnitudes) say MMBtu.
    return (f"Start Heat {kind} MBTU", f"Start Heat {kind} MMBTU")


def _round_up_hours(hours: float) -> int:
    return math.ceil(hours - 1e-9) if hours > 0 else 0


def _read_generators(
    table: CsvTable,
    bus_area: dict[int, int],
    pointers: tuple[TimeseriesPointer, ...],
    storage_owner: dict[str, str],
) -> tuple[Generator, ...]:
    table.require_columns(*_GEN_REQUIRED)
    for kind in ("Hot", "Warm", "Cold"):
        table.column_index(*_start_heat_columns(kind))  # either spelling; names the first
        table.require_columns(f"Start Time {kind} Hr")
    day_ahead = [p for p in pointers if p.simulation == "DAY_AHEAD" and p.category == "Generator"]
    # A pointer names a unit, or (CSP natural inflow) the storage a unit draws from.
    variable = {storage_owner.get(p.object_id, p.object_id) for p in day_ahead}
    must_take = {p.object_id for p in day_ahead if p.parameter.lower() == "pmin mw"}
    units: list[Generator] = []
    seen: set[str] = set()
    for i in range(len(table)):
        uid = table.text(i, "GEN UID")
        if uid in seen:
            raise table.error(i, "GEN UID", f"unit {uid!r} appears twice")
        seen.add(uid)
        units.append(_read_generator(table, i, uid, bus_area, variable, must_take))
    return tuple(units)


def _read_generator(
    table: CsvTable,
    i: int,
    uid: str,
    bus_area: dict[int, int],
    variable: set[str],
    must_take: set[str],
) -> Generator:
    bus_id = _bus_ref(table, i, "Bus ID", bus_area)
    unit_type = table.text(i, "Unit Type")
    category = table.text(i, "Category")
    fuel = table.text(i, "Fuel")
    p_max = table.number(i, "PMax MW")
    p_min = table.number(i, "PMin MW")
    if p_max < 0:
        raise table.error(i, "PMax MW", f"{p_max!r} is negative")
    if p_min > p_max:
        raise table.error(i, "PMin MW", f"Pmin {p_min!r} exceeds Pmax {p_max!r}")
    fuel_price = table.number(i, "Fuel Price $/MMBTU")
    vom = table.optional_number(i, "VOM") or 0.0
    non_fuel_start = table.optional_number(i, "Non Fuel Start Cost $") or 0.0
    heat = {kind: table.number(i, *_start_heat_columns(kind)) for kind in ("Hot", "Warm", "Cold")}
    start_time = {
        kind: table.number(i, f"Start Time {kind} Hr") for kind in ("Hot", "Warm", "Cold")
    }
    start_cost = {kind: heat[kind] * fuel_price + non_fuel_start for kind in heat}
    min_up_raw = table.number(i, "Min Up Time Hr")
    min_down_raw = table.number(i, "Min Down Time Hr")
    for column, value in (("Min Up Time Hr", min_up_raw), ("Min Down Time Hr", min_down_raw)):
        if value < 0:
            raise table.error(i, column, f"{value!r} is negative")
    points, hr_avg0, hr_incr = _heat_rate_curve(table, i, p_max, fuel_price)
    if points:
        no_load = hr_avg0 * points[0] * fuel_price / 1000.0 + vom * points[0]
        raw_curve = [
            CostSegment(points[k], points[k + 1], hr_incr[k] * fuel_price / 1000.0 + vom)
            for k in range(len(hr_incr))
        ]
    else:
        no_load = vom * p_min
        raw_curve = [CostSegment(p_min, p_max, vom)] if p_max > p_min else []
    curve = _make_monotone(raw_curve)
    efficiency_pct = table.optional_number(i, "Storage Roundtrip Efficiency")
    return Generator(
        uid=uid,
        bus_id=bus_id,
        area=bus_area[bus_id],
        gen_id=table.integer(i, "Gen ID") if table.has_column("Gen ID") else 0,
        unit_group=table.text(i, "Unit Group", allow_empty=True)
        if table.has_column("Unit Group")
        else "",
        unit_type=unit_type,
        category=category,
        fuel=fuel,
        resource_kind="storage" if unit_type.upper() == "STORAGE" else "generator",
        is_thermal=fuel in THERMAL_FUELS,
        is_renewable=fuel in RENEWABLE_FUELS,
        is_variable=uid in variable,
        is_must_take=uid in must_take,
        is_hydro=category.lower() == "hydro",
        is_sync_condenser=unit_type.upper() == "SYNC_COND" or category.lower() == "sync_cond",
        p_max_mw=p_max,
        p_min_mw=p_min,
        q_max_mvar=table.optional_number(i, "QMax MVAR") or 0.0,
        q_min_mvar=table.optional_number(i, "QMin MVAR") or 0.0,
        ramp_mw_per_min=table.number(i, "Ramp Rate MW/Min"),
        min_up_hours=_round_up_hours(min_up_raw),
        min_down_hours=_round_up_hours(min_down_raw),
        min_up_hours_raw=min_up_raw,
        min_down_hours_raw=min_down_raw,
        start_time_hot_hours=start_time["Hot"],
        start_time_warm_hours=start_time["Warm"],
        start_time_cold_hours=start_time["Cold"],
        start_heat_hot_mmbtu=heat["Hot"],
        start_heat_warm_mmbtu=heat["Warm"],
        start_heat_cold_mmbtu=heat["Cold"],
        fuel_price_usd_per_mmbtu=fuel_price,
        vom_usd_per_mwh=vom,
        non_fuel_start_cost_usd=non_fuel_start,
        non_fuel_shutdown_cost_usd=table.optional_number(i, "Non Fuel Shutdown Cost $") or 0.0,
        start_up_cost_hot_usd=start_cost["Hot"],
        start_up_cost_warm_usd=start_cost["Warm"],
        start_up_cost_cold_usd=start_cost["Cold"],
        start_up_cost_usd=start_cost["Hot"],
        heat_rate_output_mw=points,
        heat_rate_avg_0_btu_per_kwh=hr_avg0,
        heat_rate_incr_btu_per_kwh=hr_incr,
        no_load_cost_usd_per_hour=no_load,
        incremental_cost_curve=tuple(curve),
        cost_curve_adjusted=curve != raw_curve,
        pump_load_mw=table.optional_number(i, "Pump Load MW") or 0.0,
        storage_roundtrip_efficiency=efficiency_pct / 100.0 if efficiency_pct else None,
        co2_lbs_per_mmbtu=table.optional_number(i, "Emissions CO2 Lbs/MMBTU"),
    )


def _heat_rate_curve(
    table: CsvTable, i: int, p_max: float, fuel_price: float
) -> tuple[tuple[float, ...], float, tuple[float, ...]]:
    """Output points (MW), ``HR_avg_0`` and incremental heat rates of a unit.

    A curve is read for every unit whose points increase strictly and whose
    ``HR_avg_0`` is positive (thermal units and CSP). For other units (wind,
    PV, hydro, storage, sync condensers: all-zero or single-point data) no
    curve is returned. A fuel-burning unit (fuel price > 0) with an unusable
    curve is an error.
    """
    pcts: list[float] = []
    pct_columns: list[str] = []
    for k in range(_MAX_HEAT_RATE_POINTS):
        value = table.optional_number(i, f"Output_pct_{k}")
        if value is None:
            break
        pcts.append(value)
        pct_columns.append(table.column_name(f"Output_pct_{k}"))
    hr_avg0 = table.number(i, "HR_avg_0")
    incr: list[float] = []
    for k in range(1, len(pcts)):
        value = table.optional_number(i, f"HR_incr_{k}")
        if value is None:
            break
        incr.append(value)
    usable = (
        len(pcts) >= 1
        and pcts[0] > 0
        and hr_avg0 > 0
        and p_max > 0
        and len(incr) == len(pcts) - 1
        and all(pcts[k] < pcts[k + 1] for k in range(len(pcts) - 1))
    )
    if not usable:
        if fuel_price > 0:
            problem = _heat_rate_problem(pcts, pct_columns, hr_avg0, incr, p_max)
            raise table.error(i, problem[0], problem[1])
        return (), hr_avg0, tuple(incr)
    for k, value in enumerate(incr, start=1):
        if value < 0:
            raise table.error(i, table.column_name(f"HR_incr_{k}"), f"{value!r} is negative")
    # Output_pct is given to 9 decimals: 0.394736842 x 76 = 29.999999992. Round to 1e-6 MW.
    return tuple(round(p * p_max, 6) for p in pcts), hr_avg0, tuple(incr)


def _heat_rate_problem(
    pcts: list[float], columns: list[str], hr_avg0: float, incr: list[float], p_max: float
) -> tuple[str, str]:
    if p_max <= 0:
        return "PMax MW", "a fuel-burning unit needs Pmax > 0"
    if not pcts or pcts[0] <= 0:
        return "Output_pct_0", "the first heat-rate output point must be above 0"
    if hr_avg0 <= 0:
        return "HR_avg_0", "a fuel-burning unit needs a positive average heat rate"
    for k in range(len(pcts) - 1):
        if pcts[k + 1] <= pcts[k]:
            return columns[k + 1], "heat-rate output points must increase"
    return f"HR_incr_{len(incr) + 1}", "value is missing"


def _make_monotone(segments: list[CostSegment]) -> list[CostSegment]:
    """Pool adjacent violators: equal MW-weighted average cost where costs fall.

    Keeps every breakpoint and the total cost at Pmax; returns the input
    unchanged when it is already non-decreasing.
    """
    if all(a.usd_per_mwh <= b.usd_per_mwh for a, b in itertools.pairwise(segments)):
        return segments
    blocks: list[tuple[float, float, int]] = []  # (cost x width total, width total, segment count)
    for segment in segments:
        width = segment.mw_to - segment.mw_from
        blocks.append((segment.usd_per_mwh * width, width, 1))
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            prev = blocks.pop()
            blocks.append((prev[0] + last[0], prev[1] + last[1], prev[2] + last[2]))
    pooled: list[CostSegment] = []
    position = 0
    for total, width, count in blocks:
        for segment in segments[position : position + count]:
            pooled.append(CostSegment(segment.mw_from, segment.mw_to, total / width))
        position += count
    return pooled


# --------------------------------------------------------------------------- storage, reserves


def _read_storage(table: CsvTable, generators: tuple[Generator, ...]) -> tuple[StorageUnit, ...]:
    table.require_columns("GEN UID", "Storage", "Max Volume GWh")
    units = {g.uid: g for g in generators}
    heads: dict[str, int] = {}
    tails: dict[str, int] = {}
    order: list[str] = []
    has_position = table.has_column("position")
    for i in range(len(table)):
        uid = table.text(i, "GEN UID")
        if uid not in units:
            raise table.error(i, "GEN UID", f"unit {uid!r} is not in gen.csv")
        position = table.text(i, "position", allow_empty=True).lower() if has_position else ""
        target = tails if position == "tail" else heads
        if uid in target:
            raise table.error(i, "GEN UID", f"unit {uid!r} has two {position or 'head'} storages")
        target[uid] = i
        if uid not in order:
            order.append(uid)
    result = []
    for uid in order:
        if uid not in heads:
            raise table.error(tails[uid], "position", f"unit {uid!r} has a tail but no head")
        i = heads[uid]
        unit = units[uid]
        inflow = table.optional_number(i, "Inflow Limit GWh")
        tail = tails.get(uid)
        result.append(
            StorageUnit(
                gen_uid=uid,
                unit_type=unit.unit_type,
                storage_name=table.text(i, "Storage"),
                max_energy_mwh=table.number(i, "Max Volume GWh") * 1000.0,
                initial_energy_mwh=(table.optional_number(i, "Initial Volume GWh") or 0.0) * 1000.0,
                inflow_limit_mwh=inflow * 1000.0 if inflow is not None else None,
                rating_mva=table.optional_number(i, "Rating MVA"),
                charge_mw=unit.pump_load_mw,
                discharge_mw=unit.p_max_mw,
                roundtrip_efficiency=unit.storage_roundtrip_efficiency,
                tail_storage_name=table.text(tail, "Storage") if tail is not None else None,
                tail_max_energy_mwh=table.number(tail, "Max Volume GWh") * 1000.0
                if tail is not None
                else None,
            )
        )
    return tuple(result)


def _parse_list(text: str) -> tuple[str, ...]:
    inner = text.strip()
    if inner.startswith("(") and inner.endswith(")"):
        inner = inner[1:-1]
    return tuple(part.strip() for part in inner.split(",") if part.strip())


def _read_reserves(table: CsvTable, pointers: tuple[TimeseriesPointer, ...]) -> tuple[Reserve, ...]:
    table.require_columns(
        "Reserve Product",
        "Timeframe (sec)",
        "Requirement (MW)",
        "Eligible Regions",
        "Eligible Device SubCategories",
        "Direction",
    )
    files = {(p.simulation, p.object_id): p.data_file for p in pointers if p.category == "Reserve"}
    reserves = []
    for i in range(len(table)):
        product = table.text(i, "Reserve Product")
        direction = table.text(i, "Direction").lower()
        if direction not in ("up", "down"):
            raise table.error(i, "Direction", f"{direction!r} is not Up or Down")
        areas = []
        for part in _parse_list(table.text(i, "Eligible Regions")):
            try:
                areas.append(int(float(part)))
            except ValueError:
                raise table.error(i, "Eligible Regions", f"{part!r} is not an area") from None
        devices = (
            _parse_list(table.text(i, "Eligible Device Categories"))
            if table.has_column("Eligible Device Categories")
            else ()
        )
        reserves.append(
            Reserve(
                product=product,
                timeframe_seconds=table.number(i, "Timeframe (sec)"),
                requirement_mw=table.number(i, "Requirement (MW)"),
                eligible_areas=tuple(areas),
                eligible_device_categories=devices,
                eligible_categories=_parse_list(table.text(i, "Eligible Device SubCategories")),
                direction="up" if direction == "up" else "down",
                day_ahead_data_file=files.get(("DAY_AHEAD", product)),
                real_time_data_file=files.get(("REAL_TIME", product)),
            )
        )
    return tuple(reserves)
