"""The RTS-GMLC import into the Master File, checked against figures of the data set."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_session_factory, unit_of_work
from gridmarket.network.models import Branch, DcLine, NetworkModel
from gridmarket.network.queries import network_model
from gridmarket.network.rts_gmlc import RtsDataError
from gridmarket.resources import queries
from gridmarket.resources.models import (
    AggregatedNode,
    AggregatedNodeMember,
    MeteringType,
    PricingNode,
    Resource,
    ResourceType,
)
from gridmarket.resources.rts_import import (
    ModelAlreadyLoadedError,
    import_rts_gmlc,
    pricing_node_name,
)


def _count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_rts_gmlc_import_has_the_data_sets_known_counts(
    rts_loaded: Engine, db_session: Session
) -> None:
    # Counted within the RTS-GMLC model: other tests may add their own rows.
    model = network_model(db_session, "RTS-GMLC")
    rts_nodes = select(PricingNode.id).where(PricingNode.network_model_id == model.id)

    def count(table: type, *where: object) -> int:
        return db_session.scalar(select(func.count()).select_from(table).where(*where)) or 0  # type: ignore[arg-type]

    assert count(PricingNode, PricingNode.network_model_id == model.id) == 73
    assert count(Branch, Branch.network_model_id == model.id) == 120
    assert count(DcLine, DcLine.network_model_id == model.id) == 1
    assert count(Resource, Resource.pricing_node_id.in_(rts_nodes)) == 158
    rts_dlaps = select(AggregatedNodeMember.aggregated_node_id).where(
        AggregatedNodeMember.pricing_node_id.in_(rts_nodes)
    )
    assert count(AggregatedNode, AggregatedNode.id.in_(rts_dlaps)) == 3


def test_buses_become_iso_style_pricing_nodes(rts_loaded: Engine, db_session: Session) -> None:
    node = db_session.scalars(select(PricingNode).where(PricingNode.bus_number == 101)).one()
    assert node.name == "ABEL_1_N101" == pricing_node_name("Abel", 1, 101)
    assert node.load_share_mw == Decimal("108")


def test_each_area_is_a_dlap_weighted_by_bus_load(rts_loaded: Engine, db_session: Session) -> None:
    dlaps = [d for d in queries.list_aggregated_nodes(db_session) if d.name.startswith("DLAP_AREA")]
    assert [d.name for d in dlaps] == ["DLAP_AREA1-APND", "DLAP_AREA2-APND", "DLAP_AREA3-APND"]
    for dlap in dlaps:
        assert abs(sum(m.weight for m in dlap.members) - 1) <= Decimal("0.00005")
        assert all(m.pricing_node.area == dlap.area for m in dlap.members)
    abel = next(m for m in dlaps[0].members if m.pricing_node.bus_number == 101)
    total_area_1 = db_session.scalar(
        select(func.sum(PricingNode.load_share_mw)).where(PricingNode.area == 1)
    )
    assert abel.weight == (Decimal("108") / total_area_1).quantize(Decimal("0.000001"))


def test_coal_unit_master_file_attributes_worked_by_hand(
    rts_loaded: Engine, db_session: Session
) -> None:
    unit = queries.get_resource(db_session, "101_STEAM_3")
    assert unit is not None
    assert (unit.p_min_mw, unit.p_max_mw) == (Decimal("30"), Decimal("76"))
    assert (unit.min_up_hours, unit.min_down_hours) == (8, 4)
    assert unit.ramp_rate_mw_per_min == Decimal("2")
    # Hot start: 3,379.4 MMBtu × $2.11399/MMBtu, no non-fuel start cost.
    assert unit.startup_cost_usd == Decimal("7144.017806")
    # Minimum-load cost: HR_avg_0 13,270 Btu/kWh × 30 MW × $2.11399/MMBtu / 1000.
    assert unit.min_load_cost_usd_per_hour.quantize(Decimal("0.01")) == Decimal("841.58")
    assert unit.pricing_node is not None and unit.pricing_node.name == "ABEL_1_N101"
    assert unit.telemetry_required
    assert unit.metering_type == MeteringType.ISO_METERED
    prices = [s.price_usd_per_mwh for s in unit.cost_segments]
    assert prices == sorted(prices) and len(prices) == 3
    assert unit.cost_segments[0].mw_from == Decimal("30")
    assert unit.cost_segments[-1].mw_to == Decimal("76")
    # First segment: incremental heat rate 6,713 Btu/kWh × $2.11399/MMBtu / 1000.
    assert unit.cost_segments[0].price_usd_per_mwh.quantize(Decimal("0.0001")) == Decimal("14.1912")


def test_fractional_min_up_and_down_times_are_rounded_up(
    rts_loaded: Engine, db_session: Session
) -> None:
    # 321_CC_1 has a min down time of 4.5 h and a min up time of 8 h in gen.csv.
    unit = queries.get_resource(db_session, "321_CC_1")
    assert unit is not None
    assert (unit.min_down_hours, unit.min_up_hours) == (5, 8)


def test_storage_and_area_loads_are_resources(rts_loaded: Engine, db_session: Session) -> None:
    storage = queries.get_resource(db_session, "313_STORAGE_1")
    assert storage is not None and storage.resource_type == ResourceType.STORAGE
    assert storage.storage_max_mwh is not None and storage.storage_max_mwh > 0
    load = queries.get_resource(db_session, "LOAD_AREA2")
    assert load is not None and load.resource_type == ResourceType.LOAD
    assert load.aggregated_node is not None and load.aggregated_node.name == "DLAP_AREA2-APND"
    assert load.metering_type == MeteringType.SC_METERED


def test_importing_again_changes_nothing(
    rts_loaded: Engine, db_session: Session, data_dir: Path
) -> None:
    before = _count(db_session, Resource)
    summary = import_rts_gmlc(db_session, data_dir / "rts-gmlc", MarketParameters())
    assert not summary.created
    assert _count(db_session, Resource) == before


def _copy_rts(data_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "rts-gmlc"
    shutil.copytree(data_dir / "rts-gmlc" / "SourceData", copy / "SourceData")
    return copy


def test_changed_source_files_are_not_silently_merged(
    rts_loaded: Engine, db_session: Session, data_dir: Path, tmp_path: Path
) -> None:
    copy = _copy_rts(data_dir, tmp_path)
    bus_csv = copy / "SourceData" / "bus.csv"
    bus_csv.write_text(
        bus_csv.read_text().replace("101,Abel,138.0,PV,108.0", "101,Abel,138.0,PV,109.0")
    )
    with pytest.raises(ModelAlreadyLoadedError, match="different source files"):
        import_rts_gmlc(db_session, copy, MarketParameters())


def test_a_bad_cell_is_named_by_file_row_and_column_and_nothing_is_written(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    copy = _copy_rts(data_dir, tmp_path)
    gen_csv = copy / "SourceData" / "gen.csv"
    lines = gen_csv.read_text().splitlines()
    cells = lines[13].split(",")  # file row 14
    cells[10] = "abc"  # PMax MW
    lines[13] = ",".join(cells)
    gen_csv.write_text("\n".join(lines) + "\n")
    factory = make_session_factory(engine)
    models_before = _model_count(factory)
    with (
        pytest.raises(RtsDataError, match=r"gen\.csv row 14, column 'PMax MW': 'abc'"),
        unit_of_work(factory) as session,
    ):
        import_rts_gmlc(session, copy, MarketParameters())
    assert _model_count(factory) == models_before


def _model_count(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as session:
        return _count(session, NetworkModel)
