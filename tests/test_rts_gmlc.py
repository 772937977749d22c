"""The RTS-GMLC reader against known figures of the data set."""

from __future__ import annotations

import csv
import math
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from gridmarket.config import get_settings
from gridmarket.network.csv_tables import read_series_file
from gridmarket.network.rts_gmlc import (
    RtsDataError,
    RtsSystem,
    read_rts_gmlc,
    resolve_data_file,
)
from gridmarket.network.rts_gmlc_timeseries import (
    SERIES_COLUMNS,
    data_coverage_utc,
    data_period_start_utc,
    day_ahead_series,
    real_time_series,
    trade_day_utc_range,
)

PACIFIC = "America/Los_Angeles"
TIMESERIES_FOLDERS = ("CSP", "Hydro", "Load", "PV", "RTPV", "Reserves", "WIND")


@pytest.fixture(scope="module")
def rts_dir() -> Path:
    return get_settings().rts_gmlc_dir


@pytest.fixture(scope="module")
def system(rts_dir: Path) -> RtsSystem:
    return read_rts_gmlc(rts_dir)


def _day(rts_dir: Path, trade_day: date, *, real_time: bool = False) -> pl.DataFrame:
    start, end = trade_day_utc_range(trade_day, PACIFIC)
    reader = real_time_series if real_time else day_ahead_series
    return reader(rts_dir, start, end)


def _value(frame: pl.DataFrame, kind: str, object_id: str, start: datetime) -> float:
    row = frame.filter(
        pl.col("kind") == kind,
        pl.col("object_id") == object_id,
        pl.col("interval_start_utc") == start,
    )
    assert row.height == 1, (kind, object_id, start)
    return float(row["value_mw"][0])


def _file_row(path: Path, prefix: str) -> list[str]:
    with path.open(newline="") as handle:
        for record in csv.reader(handle):
            if ",".join(record).startswith(prefix):
                return record
    raise AssertionError(f"no row {prefix} in {path}")


def _copy_rts(rts_dir: Path, target: Path, *, copy_folders: tuple[str, ...] = ()) -> Path:
    """A copy of SourceData plus time-series folders (symlinked unless listed to copy)."""
    shutil.copytree(rts_dir / "SourceData", target / "SourceData")
    series = target / "timeseries_data_files"
    series.mkdir()
    for name in TIMESERIES_FOLDERS:
        if name in copy_folders:
            shutil.copytree(rts_dir / "timeseries_data_files" / name, series / name)
        else:
            (series / name).symlink_to(rts_dir / "timeseries_data_files" / name)
    return target


def _rewrite_cell(path: Path, file_row: int, column: str, value: str) -> None:
    path.chmod(0o644)
    rows = list(csv.reader(path.open(newline="")))
    rows[file_row - 1][rows[0].index(column)] = value
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)


# --------------------------------------------------------------------------- static data


def test_counts_of_the_network(system: RtsSystem) -> None:
    assert len(system.buses) == 73
    assert system.areas == (1, 2, 3)
    assert len(system.branches) == 120
    assert sum(b.is_transformer for b in system.branches) == 16
    assert len(system.dc_lines) == 1
    assert len(system.generators) == 158


def test_bus_load_share_totals(system: RtsSystem) -> None:
    assert sum(b.load_share_mw for b in system.buses) == pytest.approx(8550.0)
    assert system.area_loads == {1: 2850.0, 2: 2850.0, 3: 2850.0}
    assert system.area_of_bus(101) == 1 and system.area_of_bus(325) == 3
    assert sum(system.load_weights(2).values()) == pytest.approx(1.0)
    assert system.bus(101).load_share_mw == 108.0


def test_branches_and_transformers(system: RtsSystem) -> None:
    line = next(b for b in system.branches if b.uid == "A1")
    assert (line.from_bus, line.to_bus) == (101, 102)
    assert (line.r_pu, line.x_pu, line.b_pu) == (0.003, 0.014, 0.461)
    assert (line.cont_rating_mw, line.lte_rating_mw, line.ste_rating_mw) == (175, 193, 200)
    assert not line.is_transformer and line.tap_ratio == 1.0
    transformer = next(b for b in system.branches if b.uid == "A7")
    assert transformer.is_transformer and transformer.tap_ratio == 1.015


def test_hvdc_link_limit_and_loss(system: RtsSystem) -> None:
    (link,) = system.dc_lines
    assert (link.uid, link.from_bus, link.to_bus) == ("DC1", 113, 316)
    assert link.max_flow_mw == 100.0
    # (100 MW / 500 kV)^2 x 5 ohm = 0.2 MW
    assert link.loss_at_max_flow_mw == pytest.approx(0.2)


def test_101_steam_3_worked_by_hand(system: RtsSystem) -> None:
    unit = system.generator("101_STEAM_3")
    assert (unit.p_max_mw, unit.p_min_mw) == (76.0, 30.0)
    assert (unit.min_up_hours, unit.min_down_hours) == (8, 4)
    assert unit.ramp_mw_per_min == 2.0
    assert unit.fuel_price_usd_per_mmbtu == 2.11399
    # Start-up: 3379.4 MMBtu hot start heat x $2.11399/MMBtu, no non-fuel cost.
    assert unit.start_up_cost_usd == pytest.approx(3379.4 * 2.11399)
    assert unit.start_up_cost_usd == pytest.approx(7144.02, abs=0.01)
    assert unit.start_up_cost_cold_usd == pytest.approx(5284.8 * 2.11399)
    # Minimum-load cost: 13270 Btu/kWh x 30 MW x $2.11399 / 1000 = $841.58/h.
    assert unit.no_load_cost_usd_per_hour == pytest.approx(13270 * 30 * 2.11399 / 1000)
    assert unit.min_load_cost_usd_per_hour == pytest.approx(841.58, abs=0.01)
    assert unit.heat_rate_output_mw == pytest.approx((30.0, 45.333333, 60.666667, 76.0))
    first = unit.incremental_cost_curve[0]
    assert (first.mw_from, first.mw_to) == pytest.approx((30.0, 45.333333))
    # First segment: 6713 Btu/kWh x $2.11399 / 1000 = $14.19/MWh.
    assert first.usd_per_mwh == pytest.approx(6713 * 2.11399 / 1000)
    assert first.usd_per_mwh == pytest.approx(14.19, abs=0.005)
    assert len(unit.incremental_cost_curve) == 3
    assert unit.cost_at_mw(76.0) == pytest.approx(
        841.5794 + sum((s.mw_to - s.mw_from) * s.usd_per_mwh for s in unit.incremental_cost_curve),
        abs=1e-3,
    )


def test_fractional_min_up_down_rounded_up(system: RtsSystem) -> None:
    fractional = [
        g
        for g in system.generators
        if not g.min_up_hours_raw.is_integer() or not g.min_down_hours_raw.is_integer()
    ]
    assert len(fractional) == 37
    assert all(g.is_thermal for g in fractional)
    for unit in system.generators:
        assert unit.min_up_hours == math.ceil(unit.min_up_hours_raw)
        assert unit.min_down_hours == math.ceil(unit.min_down_hours_raw)
    gas_ct = next(g for g in system.generators if g.category == "Gas CT")
    assert (gas_ct.min_up_hours_raw, gas_ct.min_up_hours) == (2.2, 3)


def test_every_cost_curve_is_monotone_and_spans_pmin_to_pmax(system: RtsSystem) -> None:
    for unit in system.generators:
        curve = unit.incremental_cost_curve
        costs = [s.usd_per_mwh for s in curve]
        assert costs == sorted(costs), unit.uid
        if unit.p_max_mw > unit.p_min_mw:
            assert curve[0].mw_from == pytest.approx(unit.p_min_mw), unit.uid
            assert curve[-1].mw_to == pytest.approx(unit.p_max_mw), unit.uid
        else:
            assert curve == (), unit.uid
    assert not any(g.cost_curve_adjusted for g in system.generators)


def test_renewables_cost_nothing_and_csp_costs_its_vom(system: RtsSystem) -> None:
    for uid in ("309_WIND_1", "101_PV_1", "118_RTPV_1", "122_HYDRO_1", "201_HYDRO_4"):
        unit = system.generator(uid)
        assert unit.no_load_cost_usd_per_hour == 0.0
        assert [s.usd_per_mwh for s in unit.incremental_cost_curve] == [0.0]
    csp = system.generator("212_CSP_1")
    assert {s.usd_per_mwh for s in csp.incremental_cost_curve} == {1.1}
    assert csp.start_up_cost_usd == 10000.0


def test_resource_kinds_and_flags(system: RtsSystem) -> None:
    units = system.generators
    assert [g.uid for g in units if g.resource_kind == "storage"] == ["313_STORAGE_1"]
    sync = [g for g in units if g.is_sync_condenser]
    assert len(sync) == 3 and all(g.p_max_mw == 0 for g in sync)
    assert sum(g.is_thermal for g in units) == 73
    assert sum(g.is_hydro for g in units) == 20
    assert sum(g.is_variable for g in units) == 81  # 4 wind, 25 PV, 31 RTPV, 20 hydro, CSP
    assert sum(g.is_must_take for g in units) == 51  # hydro and rooftop PV: Pmin = Pmax series
    assert system.generator("212_CSP_1").is_variable


def test_storage_units(system: RtsSystem) -> None:
    battery = next(s for s in system.storage if s.gen_uid == "313_STORAGE_1")
    assert battery.max_energy_mwh == 150.0
    assert battery.initial_energy_mwh == 75.0
    assert battery.roundtrip_efficiency == 0.85
    assert (battery.charge_mw, battery.discharge_mw) == (50.0, 50.0)
    assert battery.tail_storage_name == "313_TAIL_STORAGE"
    csp = next(s for s in system.storage if s.gen_uid == "212_CSP_1")
    assert csp.max_energy_mwh == 1200.0 and csp.charge_mw == 0.0


def test_reserve_products(system: RtsSystem) -> None:
    products = {r.product: r for r in system.reserves}
    assert set(products) == {
        "Spin_Up_R1",
        "Spin_Up_R2",
        "Spin_Up_R3",
        "Flex_Up",
        "Flex_Down",
        "Reg_Up",
        "Reg_Down",
    }
    reg_up = products["Reg_Up"]
    assert reg_up.timeframe_seconds == 300 and reg_up.direction == "up"
    assert reg_up.eligible_areas == (1, 2, 3)
    assert "Gas CC" in reg_up.eligible_categories and "Nuclear" not in reg_up.eligible_categories
    assert products["Spin_Up_R2"].eligible_areas == (2,)
    assert products["Spin_Up_R1"].requirement_mw == 40.413
    assert products["Flex_Down"].direction == "down"
    assert products["Flex_Up"].real_time_data_file is None
    eligible = system.reserve_eligible_units("Spin_Up_R3")
    assert eligible and all(system.generator(u).area == 3 for u in eligible)


# --------------------------------------------------------------------------- time series


def test_time_mapping_is_fixed_utc_minus_8() -> None:
    assert data_period_start_utc(date(2020, 1, 15), 1) == datetime(2020, 1, 15, 8, tzinfo=UTC)
    assert data_period_start_utc(date(2020, 7, 15), 24) == datetime(2020, 7, 16, 7, tzinfo=UTC)
    assert trade_day_utc_range(date(2020, 7, 15), PACIFIC) == (
        datetime(2020, 7, 15, 7, tzinfo=UTC),
        datetime(2020, 7, 16, 7, tzinfo=UTC),
    )


def test_coverage_is_calendar_2020_at_utc_minus_8(rts_dir: Path) -> None:
    assert data_coverage_utc(rts_dir) == (
        datetime(2020, 1, 1, 8, tzinfo=UTC),
        datetime(2021, 1, 1, 8, tzinfo=UTC),
    )


def test_day_ahead_peak_load_of_2020(rts_dir: Path) -> None:
    frame = day_ahead_series(
        rts_dir, datetime(2020, 1, 1, 8, tzinfo=UTC), datetime(2021, 1, 1, 8, tzinfo=UTC)
    )
    load = frame.filter(kind="area_load")
    assert load.height == 3 * 8784
    totals = load.group_by("interval_start_utc").agg(pl.col("value_mw").sum())
    peak = totals.sort("value_mw", descending=True).row(0, named=True)
    assert peak["value_mw"] == pytest.approx(8191.835957, abs=1e-6)
    # 2020-08-26 period 15 = 14:00-15:00 at UTC-8.
    assert peak["interval_start_utc"] == datetime(2020, 8, 26, 22, tzinfo=UTC)
    # The file is MW per area, not per unit: each area peaks at its bus load sum.
    peaks = load.group_by("object_id").agg(pl.col("value_mw").max()).sort("object_id")
    assert peaks["value_mw"].to_list() == [2850.0, 2850.0, 2850.0]


def test_day_ahead_trade_day_in_summer_uses_previous_data_date(rts_dir: Path) -> None:
    frame = _day(rts_dir, date(2020, 7, 15))
    assert set(frame.columns) == set(SERIES_COLUMNS)
    assert frame.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
    for area in ("1", "2", "3"):
        assert frame.filter(kind="area_load", object_id=area).height == 24
    # 2020-07-15 00:00 PDT = 07:00Z = data date 2020-07-14 period 24 (23:00 UTC-8).
    start = datetime(2020, 7, 15, 7, tzinfo=UTC)
    assert _value(frame, "area_load", "1", start) == 1650.278328
    assert _value(frame, "area_load", "1", start + timedelta(hours=1)) == 1543.103662
    assert set(frame["kind"].unique()) == {"area_load", "resource_pmax", "reserve_requirement"}
    assert frame.filter(kind="resource_pmax")["object_id"].n_unique() == 81
    assert frame.filter(kind="reserve_requirement")["object_id"].n_unique() == 7


@pytest.mark.parametrize(
    ("trade_day", "hours"),
    [(date(2020, 7, 15), 24), (date(2020, 3, 8), 23), (date(2020, 11, 1), 25)],
)
def test_trade_day_interval_counts(rts_dir: Path, trade_day: date, hours: int) -> None:
    day_ahead = _day(rts_dir, trade_day)
    real_time = _day(rts_dir, trade_day, real_time=True)
    for area in ("1", "2", "3"):
        assert day_ahead.filter(kind="area_load", object_id=area).height == hours
        assert real_time.filter(kind="area_load", object_id=area).height == hours * 12
    assert set(real_time["interval_minutes"].unique()) == {5}
    assert set(day_ahead["interval_minutes"].unique()) == {60}


def test_real_time_load_matches_hand_derivation(rts_dir: Path) -> None:
    origin = rts_dir / "timeseries_data_files" / "Load" / "origin" / "RT_NEVP_Promod_2020.csv"
    with origin.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    peak = max(float(v) for row in rows for v in row[3:])
    assert peak == 6365.0
    # 2020-07-15 19:00Z = 11:00 at UTC-8 = 5-minute period 133 of 2020-07-15.
    raw = float(_file_row(origin, "2020,7,15,")[3 + 132])
    assert raw == 4666.0
    frame = real_time_series(
        rts_dir, datetime(2020, 7, 15, 19, tzinfo=UTC), datetime(2020, 7, 15, 19, 5, tzinfo=UTC)
    )
    expected = raw / peak * 2850.0  # area 2 bus load sum
    assert _value(frame, "area_load", "2", datetime(2020, 7, 15, 19, tzinfo=UTC)) == (
        pytest.approx(expected, rel=1e-12)
    )


def test_real_time_wind_comes_from_its_file(rts_dir: Path) -> None:
    start = data_period_start_utc(date(2020, 7, 15), 133, 288)
    frame = real_time_series(rts_dir, start, start + timedelta(minutes=5))
    assert _value(frame, "resource_pmax", "317_WIND_1", start) == 120.2


def test_pv_is_interpolated_between_hour_midpoints(rts_dir: Path) -> None:
    day_ahead = _day(rts_dir, date(2020, 7, 15))
    real_time = _day(rts_dir, date(2020, 7, 15), real_time=True)
    hour = datetime(2020, 7, 15, 13, tzinfo=UTC)
    a = _value(day_ahead, "resource_pmax", "101_PV_1", hour)
    b = _value(day_ahead, "resource_pmax", "101_PV_1", hour + timedelta(hours=1))
    assert (a, b) == (9.6, 14.8)
    # Hourly values sit at :30; the two 5-minute intervals either side of the hour
    # boundary (midpoints 27.5 and 32.5 min after the first :30) average to (a+b)/2.
    before = _value(real_time, "resource_pmax", "101_PV_1", hour + timedelta(minutes=55))
    after = _value(real_time, "resource_pmax", "101_PV_1", hour + timedelta(minutes=60))
    assert before == pytest.approx(a + (b - a) * 27.5 / 60)
    assert after == pytest.approx(a + (b - a) * 32.5 / 60)
    assert (before + after) / 2 == pytest.approx((a + b) / 2)


def test_hydro_is_held_flat_and_csp_is_capped(rts_dir: Path, system: RtsSystem) -> None:
    day_ahead = _day(rts_dir, date(2020, 7, 15))
    real_time = _day(rts_dir, date(2020, 7, 15), real_time=True)
    hour = datetime(2020, 7, 15, 19, tzinfo=UTC)
    hourly = _value(day_ahead, "resource_pmax", "122_HYDRO_1", hour)
    assert hourly == 38.2  # data 2020-07-15 period 12 (11:00-12:00 at UTC-8)
    five_minute = real_time.filter(
        kind="resource_pmax",
        object_id="122_HYDRO_1",
    ).filter(pl.col("interval_start_utc").is_between(hour, hour + timedelta(minutes=55)))
    assert five_minute["value_mw"].to_list() == [hourly] * 12
    csp_cap = system.generator("212_CSP_1").p_max_mw
    for frame in (day_ahead, real_time):
        csp = frame.filter(kind="resource_pmax", object_id="212_CSP_1")["value_mw"].to_numpy()
        assert csp.max() == csp_cap and csp.min() >= 0.0


def test_real_time_reserves(rts_dir: Path) -> None:
    frame = _day(rts_dir, date(2020, 7, 15), real_time=True)
    reserves = frame.filter(kind="reserve_requirement")
    assert set(reserves["object_id"].unique()) == {
        "Reg_Up",
        "Reg_Down",
        "Spin_Up_R1",
        "Spin_Up_R2",
        "Spin_Up_R3",
    }
    assert reserves.filter(object_id="Reg_Up").height == 288


def test_csp_inflow_on_request(rts_dir: Path) -> None:
    start, end = trade_day_utc_range(date(2020, 7, 15), PACIFIC)
    frame = day_ahead_series(rts_dir, start, end, include_csp_inflow=True)
    inflow = frame.filter(kind="resource_natural_inflow")
    assert inflow["object_id"].unique().to_list() == ["212_CSP_1"]
    assert inflow["value_mw"].to_numpy().max() > 200.0  # the solar field exceeds the turbine's Pmax


def test_ranges_outside_2020_are_refused(rts_dir: Path) -> None:
    for trade_day in (date(2019, 12, 31), date(2021, 1, 1)):
        start, end = trade_day_utc_range(trade_day, PACIFIC)
        with pytest.raises(RtsDataError, match="outside the RTS-GMLC data"):
            day_ahead_series(rts_dir, start, end)
        with pytest.raises(RtsDataError, match="outside the RTS-GMLC data"):
            real_time_series(rts_dir, start, end)
    # The first and last Pacific trade days of 2020 are inside (both in PST).
    for trade_day in (date(2020, 1, 1), date(2020, 12, 31)):
        assert _day(rts_dir, trade_day).filter(kind="area_load", object_id="1").height == 24
    with pytest.raises(ValueError, match="timezone-aware"):
        day_ahead_series(rts_dir, datetime(2020, 7, 1), datetime(2020, 7, 2))


def test_repeated_reads_are_cached(rts_dir: Path) -> None:
    _day(rts_dir, date(2020, 7, 15))
    _day(rts_dir, date(2020, 7, 15), real_time=True)
    began = time.perf_counter()
    for _ in range(5):
        _day(rts_dir, date(2020, 7, 16))
        _day(rts_dir, date(2020, 7, 16), real_time=True)
    assert time.perf_counter() - began < 2.0


def test_pointers_resolve_case_insensitively(system: RtsSystem) -> None:
    hydro = next(p for p in system.timeseries_pointers if p.object_id == "122_HYDRO_1")
    assert "/HYDRO/" in hydro.data_file
    path = resolve_data_file(system.source_data_dir, hydro.data_file)
    assert path is not None and path.parent.name == "Hydro" and path.is_file()
    shouting = resolve_data_file(
        system.source_data_dir, "../TIMESERIES_DATA_FILES/load/day_ahead_regional_load.csv"
    )
    assert shouting is not None and shouting.name == "DAY_AHEAD_regional_Load.csv"
    # Pointed at but not shipped upstream.
    assert (
        resolve_data_file(system.source_data_dir, "../timeseries_data_files/PV/REAL_TIME_pv.csv")
        is None
    )


def test_scaling_factor_is_not_multiplied_into_mw_files(system: RtsSystem) -> None:
    load = next(p for p in system.timeseries_pointers if p.category == "Area")
    assert load.scaling_factor == 2850.0
    path = resolve_data_file(system.source_data_dir, load.data_file)
    assert path is not None
    assert read_series_file(path).series("1").max() == 2850.0


# --------------------------------------------------------------------------- errors


def test_bad_cell_is_named_by_file_row_and_column(rts_dir: Path, tmp_path: Path) -> None:
    copy = _copy_rts(rts_dir, tmp_path)
    _rewrite_cell(copy / "SourceData" / "gen.csv", 14, "PMax MW", "abc")
    with pytest.raises(RtsDataError) as caught:
        read_rts_gmlc(copy)
    assert str(caught.value) == "gen.csv row 14, column 'PMax MW': 'abc' is not a number"
    assert (caught.value.row, caught.value.column) == (14, "PMax MW")


def test_missing_column_is_named(rts_dir: Path, tmp_path: Path) -> None:
    copy = _copy_rts(rts_dir, tmp_path)
    bus = copy / "SourceData" / "bus.csv"
    bus.chmod(0o644)
    bus.write_text(bus.read_text().replace("MW Load", "Load MW", 1))
    with pytest.raises(RtsDataError, match=r"bus\.csv: missing column 'MW Load'"):
        read_rts_gmlc(copy)


def test_missing_file_is_named_with_its_path(rts_dir: Path, tmp_path: Path) -> None:
    copy = _copy_rts(rts_dir, tmp_path)
    (copy / "SourceData" / "branch.csv").unlink()
    with pytest.raises(RtsDataError, match=r"file not found: .*SourceData/branch\.csv"):
        read_rts_gmlc(copy)
    with pytest.raises(RtsDataError, match="RTS-GMLC folder not found"):
        read_rts_gmlc(tmp_path / "nowhere")


def test_bad_time_series_cell_is_named(rts_dir: Path, tmp_path: Path) -> None:
    copy = _copy_rts(rts_dir, tmp_path, copy_folders=("Load",))
    load = copy / "timeseries_data_files" / "Load" / "DAY_AHEAD_regional_Load.csv"
    _rewrite_cell(load, 100, "2", "x")
    start, end = trade_day_utc_range(date(2020, 7, 15), PACIFIC)
    with pytest.raises(RtsDataError) as caught:
        day_ahead_series(copy, start, end)
    assert (
        str(caught.value) == "DAY_AHEAD_regional_Load.csv row 100, column '2': 'x' is not a number"
    )


def test_non_monotone_segments_are_pooled(rts_dir: Path, tmp_path: Path) -> None:
    copy = _copy_rts(rts_dir, tmp_path)
    gen = copy / "SourceData" / "gen.csv"
    row = next(i for i, r in enumerate(csv.reader(gen.open()), 1) if r[0] == "101_STEAM_3")
    _rewrite_cell(gen, row, "HR_incr_2", "6000")  # below HR_incr_1 = 6713
    original = read_rts_gmlc(rts_dir).generator("101_STEAM_3")
    unit = read_rts_gmlc(copy).generator("101_STEAM_3")
    assert unit.cost_curve_adjusted
    first, second, third = unit.incremental_cost_curve
    assert (
        first.usd_per_mwh == second.usd_per_mwh == pytest.approx((6713 + 6000) / 2 * 2.11399 / 1000)
    )
    assert third == original.incremental_cost_curve[2]
    raw_total = (
        original.no_load_cost_usd_per_hour + 15.333333 * (6713 + 6000 + 8549) * 2.11399 / 1000
    )
    assert unit.cost_at_mw(76.0) == pytest.approx(raw_total, rel=1e-6)
