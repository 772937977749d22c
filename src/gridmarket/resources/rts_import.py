"""Import the RTS-GMLC test system into the Master File and the network tables.

The reader (:mod:`gridmarket.network.rts_gmlc`) is a pure function of the
files; this module maps what it returns onto our tables:

* each bus becomes a pricing node named in the ISO's style
  (``ABEL_1_N101``: bus name, area, bus number);
* each area becomes a default load aggregation point ``DLAP_AREA1-APND``
  whose members are the area's load buses weighted by their load share;
* branches and the HVDC link become network rows;
* each generator (storage included) becomes a resource with its Master File
  attributes and registered cost curve; each area gets one load resource.

The import is all-or-nothing (one transaction) and idempotent: a model
already loaded under the same name and fingerprint is left alone, a changed
one is refused rather than overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridmarket.config import MarketParameters
from gridmarket.network.models import Branch, DcLine, NetworkModel
from gridmarket.network.rts_gmlc import Generator, RtsSystem, read_rts_gmlc, source_data_dir
from gridmarket.resources.models import (
    AggregatedNode,
    AggregatedNodeKind,
    AggregatedNodeMember,
    MeteringType,
    PricingNode,
    Resource,
    ResourceCostSegment,
    ResourceType,
)

MODEL_NAME = "RTS-GMLC"
SOURCE_FILES = ("bus.csv", "branch.csv", "dc_branch.csv", "gen.csv", "storage.csv", "reserves.csv")

# Products each unit category is certified for. Regulation and spinning follow
# the eligibility lists of reserves.csv; non-spinning (not an RTS-GMLC product)
# is certified for quick-start units (assumed).
NON_SPINNING_CATEGORIES = frozenset({"Gas CT", "Oil CT", "Hydro", "Storage"})
# Hydro is energy-limited by its water, so it is flagged use-limited (assumed).
USE_LIMITED_CATEGORIES = frozenset({"Hydro"})

Progress = Callable[[str], None]


class ModelAlreadyLoadedError(RuntimeError):
    """A different version of the model is already loaded under the same name."""


@dataclass(frozen=True)
class ImportSummary:
    model_name: str
    created: bool
    pricing_nodes: int
    aggregated_nodes: int
    branches: int
    dc_lines: int
    resources: int


def pricing_node_name(bus_name: str, area: int, bus_number: int) -> str:
    """ISO-style pricing node name: ``pricing_node_name("Abel", 1, 101) == "ABEL_1_N101"``."""
    return f"{bus_name.upper().replace(' ', '')}_{area}_N{bus_number}"


def dlap_name(area: int) -> str:
    """Default load aggregation point of an area. Example: ``dlap_name(1) == "DLAP_AREA1-APND"``."""
    return f"DLAP_AREA{area}-APND"


def load_resource_id(area: int) -> str:
    """The Master File ID of an area's load. Example: ``load_resource_id(2) == "LOAD_AREA2"``."""
    return f"LOAD_AREA{area}"


def source_fingerprint(source_dir: Path) -> str:
    """SHA-256 over the static source files, so a changed data set is noticed."""
    digest = hashlib.sha256()
    folder = source_data_dir(source_dir)
    for name in SOURCE_FILES:
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def import_rts_gmlc(
    session: Session,
    source_dir: Path,
    parameters: MarketParameters,
    progress: Progress | None = None,
) -> ImportSummary:
    """Load the RTS-GMLC Master File and network from ``source_dir`` into ``session``.

    Example::

        summary = import_rts_gmlc(session, settings.rts_gmlc_dir, MarketParameters())
        assert summary.resources == 158 + 3  # generators and storage, plus 3 area loads
    """
    step = progress or (lambda _message: None)
    step("reading source files")
    system = read_rts_gmlc(source_dir)
    fingerprint = source_fingerprint(source_dir)

    existing = session.scalar(select(NetworkModel).where(NetworkModel.name == MODEL_NAME))
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise ModelAlreadyLoadedError(
                f"network model {MODEL_NAME!r} is already loaded from different source files "
                f"(fingerprint {existing.fingerprint[:12]}, files now {fingerprint[:12]})"
            )
        return _summary(session, existing, created=False)

    model = NetworkModel(name=MODEL_NAME, source=str(source_dir), fingerprint=fingerprint)
    session.add(model)
    session.flush()

    step("pricing nodes and load aggregation points")
    nodes = _add_pricing_nodes(session, model, system)
    dlaps = _add_dlaps(session, system, nodes)
    step("branches and HVDC link")
    _add_branches(session, model, system)
    step("resources")
    _add_generators(session, system, nodes, parameters)
    _add_area_loads(session, system, dlaps)
    session.flush()
    return _summary(session, model, created=True)


def _decimal(value: float) -> Decimal:
    # Floats from the CSV files are turned into exact decimals through their
    # shortest repr, so 0.1 stays 0.1 rather than its binary expansion.
    return Decimal(repr(float(value)))


def _add_pricing_nodes(
    session: Session, model: NetworkModel, system: RtsSystem
) -> dict[int, PricingNode]:
    nodes: dict[int, PricingNode] = {}
    for bus in system.buses:
        node = PricingNode(
            name=pricing_node_name(bus.name, bus.area, bus.bus_id),
            network_model_id=model.id,
            bus_number=bus.bus_id,
            bus_name=bus.name,
            area=bus.area,
            base_kv=bus.base_kv,
            load_share_mw=_decimal(bus.load_share_mw),
            latitude=bus.lat,
            longitude=bus.lng,
        )
        nodes[bus.bus_id] = node
    session.add_all(nodes.values())
    session.flush()
    return nodes


def _add_dlaps(
    session: Session, system: RtsSystem, nodes: dict[int, PricingNode]
) -> dict[int, AggregatedNode]:
    dlaps: dict[int, AggregatedNode] = {}
    for area, area_load_mw in sorted(system.area_loads.items()):
        total = _decimal(area_load_mw)
        members = [
            AggregatedNodeMember(
                pricing_node=nodes[bus.bus_id],
                weight=(_decimal(bus.load_share_mw) / total).quantize(Decimal("0.000001")),
            )
            for bus in system.buses
            if bus.area == area and bus.load_share_mw > 0
        ]
        dlaps[area] = AggregatedNode(
            name=dlap_name(area),
            kind=AggregatedNodeKind.DLAP,
            area=area,
            members=members,
        )
    session.add_all(dlaps.values())
    session.flush()
    return dlaps


def _add_branches(session: Session, model: NetworkModel, system: RtsSystem) -> None:
    session.add_all(
        Branch(
            network_model_id=model.id,
            uid=branch.uid,
            from_bus=branch.from_bus,
            to_bus=branch.to_bus,
            resistance_pu=branch.r_pu,
            reactance_pu=branch.x_pu,
            susceptance_pu=branch.b_pu,
            continuous_rating_mw=_decimal(branch.cont_rating_mw),
            long_term_emergency_rating_mw=_decimal(branch.lte_rating_mw),
            short_term_emergency_rating_mw=_decimal(branch.ste_rating_mw),
            is_transformer=branch.is_transformer,
        )
        for branch in system.branches
    )
    session.add_all(
        DcLine(
            network_model_id=model.id,
            uid=line.uid,
            from_bus=line.from_bus,
            to_bus=line.to_bus,
            max_flow_mw=_decimal(line.max_flow_mw),
        )
        for line in system.dc_lines
    )


def _certified_categories(system: RtsSystem, product_prefix: str) -> frozenset[str]:
    return frozenset(
        category
        for reserve in system.reserves
        if reserve.product.startswith(product_prefix)
        for category in reserve.eligible_categories
    )


def _add_generators(
    session: Session,
    system: RtsSystem,
    nodes: dict[int, PricingNode],
    parameters: MarketParameters,
) -> None:
    regulation = _certified_categories(system, "Reg_")
    spinning = _certified_categories(system, "Spin_")
    storage_by_uid = {unit.gen_uid: unit for unit in system.storage}
    threshold_mw = parameters.resources.telemetry_threshold_mw
    for unit in system.generators:
        storage = storage_by_uid.get(unit.uid) if unit.is_storage else None
        certified_regulation = unit.category in regulation
        session.add(
            Resource(
                resource_id=unit.uid,
                name=f"{unit.uid} ({unit.category})",
                resource_type=ResourceType.STORAGE if unit.is_storage else ResourceType.GENERATOR,
                category=unit.category,
                fuel=unit.fuel,
                pricing_node=nodes[unit.bus_id],
                p_min_mw=_decimal(unit.p_min_mw),
                p_max_mw=_decimal(unit.p_max_mw),
                ramp_rate_mw_per_min=_decimal(unit.ramp_mw_per_min),
                min_up_hours=unit.min_up_hours,
                min_down_hours=unit.min_down_hours,
                # RTS-GMLC gives the off-time that makes a start hot, not how
                # long a start takes, so the start-up time is left unknown.
                startup_time_hours=None,
                startup_cost_usd=_decimal(round(unit.start_up_cost_usd, 6)),
                min_load_cost_usd_per_hour=_decimal(round(unit.no_load_cost_usd_per_hour, 6)),
                fuel_price_usd_per_mmbtu=_decimal(unit.fuel_price_usd_per_mmbtu),
                ra_capacity_mw=_ra_capacity(unit),
                is_variable=unit.is_variable,
                metering_type=MeteringType.ISO_METERED,
                # Telemetry: generating units of the threshold size or more, and
                # any regulation provider (rulebook §3).
                telemetry_required=_decimal(unit.p_max_mw) >= threshold_mw or certified_regulation,
                certified_regulation=certified_regulation,
                certified_spinning=unit.category in spinning,
                certified_non_spinning=unit.category in NON_SPINNING_CATEGORIES,
                is_use_limited=unit.category in USE_LIMITED_CATEGORIES,
                storage_max_mwh=_decimal(storage.max_energy_mwh) if storage else None,
                storage_round_trip_efficiency=(
                    _decimal(storage.roundtrip_efficiency)
                    if storage and storage.roundtrip_efficiency is not None
                    else None
                ),
                cost_segments=_cost_segments(unit),
            )
        )


def _ra_capacity(unit: Generator) -> Decimal:
    # Resource adequacy capacity (assumed): dispatchable units' full Pmax;
    # variable units and synchronous condensers carry no must-offer obligation.
    if unit.is_variable or unit.is_sync_condenser:
        return Decimal(0)
    return _decimal(unit.p_max_mw)


def _cost_segments(unit: Generator) -> list[ResourceCostSegment]:
    heat_rates = unit.heat_rate_incr_btu_per_kwh
    return [
        ResourceCostSegment(
            sequence=index + 1,
            mw_from=_decimal(segment.mw_from),
            mw_to=_decimal(segment.mw_to),
            incremental_heat_rate_btu_per_kwh=(
                _decimal(heat_rates[index]) if index < len(heat_rates) else None
            ),
            price_usd_per_mwh=_decimal(round(segment.usd_per_mwh, 6)),
        )
        for index, segment in enumerate(unit.incremental_cost_curve)
    ]


def _add_area_loads(session: Session, system: RtsSystem, dlaps: dict[int, AggregatedNode]) -> None:
    for area, area_load_mw in sorted(system.area_loads.items()):
        session.add(
            Resource(
                resource_id=load_resource_id(area),
                name=f"Area {area} load",
                resource_type=ResourceType.LOAD,
                category="Load",
                fuel="",
                aggregated_node=dlaps[area],
                p_min_mw=Decimal(0),
                p_max_mw=_decimal(area_load_mw),
                ramp_rate_mw_per_min=Decimal(0),
                min_up_hours=0,
                min_down_hours=0,
                startup_time_hours=None,
                startup_cost_usd=Decimal(0),
                min_load_cost_usd_per_hour=Decimal(0),
                metering_type=MeteringType.SC_METERED,
                telemetry_required=False,
            )
        )


def _summary(session: Session, model: NetworkModel, *, created: bool) -> ImportSummary:
    def count(table: type, *criteria: object) -> int:
        return session.scalar(select(func.count()).select_from(table).where(*criteria)) or 0  # type: ignore[arg-type]

    return ImportSummary(
        model_name=model.name,
        created=created,
        pricing_nodes=count(PricingNode, PricingNode.network_model_id == model.id),
        aggregated_nodes=count(AggregatedNode),
        branches=count(Branch, Branch.network_model_id == model.id),
        dc_lines=count(DcLine, DcLine.network_model_id == model.id),
        resources=count(Resource),
    )
