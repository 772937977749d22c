"""Settle one month for 1,000 resources at 5-minute resolution (~8.6 M resource-intervals).

Every charge code, every trade date balanced, statements with their bill
determinants stored in a fresh SQLite database (migrated). Prints the figure
and, in the same run, a peer figure: DuckDB computing only the three
imbalance codes (6460, 6470, 6475) over the same frames, exact DECIMAL(38,12)
sums, no statements — the floor.

Run: ``.venv/bin/python benchmarks/bench_settlement.py`` (not part of ``make test``).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.settlement.engine import EngineParameters, settle
from gridmarket.settlement.inputs import SettlementInputs, interval_grid
from gridmarket.settlement.store import StatementOptions, store_result

RESOURCES, LOADS, SCIDS, NODES = 1000, 200, 20, 73
DAYS = [date(2020, 7, 1) + timedelta(days=n) for n in range(30)]


def _dec(values: np.ndarray) -> pl.Series:
    """Integers of 1e-6 → exact Decimal(38, 6)."""
    return (pl.Series(values.astype(np.int64)).cast(pl.Decimal(38, 0))
            .cast(pl.Decimal(38, 6)) / 10**6)


def build() -> SettlementInputs:
    rng = np.random.default_rng(42)
    grid = interval_grid(MarketCalendar(), DAYS)
    ids = [f"R{n:04d}" for n in range(RESOURCES)]
    is_load = np.arange(RESOURCES) >= RESOURCES - LOADS
    scid = [f"S{n % SCIDS:03d}" for n in range(RESOURCES)]
    node = [f"DLAP{n % 3}" if is_load[n] else f"N{n % NODES:03d}" for n in range(RESOURCES)]
    resources = pl.DataFrame({"resource_id": ids, "scid": scid, "node": node}).join(
        pl.DataFrame({"trade_date": DAYS}), how="cross")
    sign = np.where(is_load, -1, 1)

    def schedule(instants: pl.Series, low: int, high: int) -> pl.DataFrame:
        n = len(instants)
        base = rng.integers(low, high, (RESOURCES, n)) * sign[:, None]
        return pl.DataFrame({"resource_id": np.repeat(ids, n),
                             "interval_start_utc": pl.concat([instants] * RESOURCES),
                             "mw": _dec(base.reshape(-1) * 10**3)})

    hours = grid["hour_start_utc"].unique().sort()
    fmms = grid["fmm_start_utc"].unique().sort()
    rtds = grid["interval_start_utc"]
    da = schedule(hours, 0, 100_000).rename({"mw": "energy_mw"})
    fmm = schedule(fmms, 0, 100_000).rename({"mw": "dispatch_mw"})
    rtd = schedule(rtds, 0, 100_000).rename({"mw": "dispatch_mw"})
    rtd = rtd.with_columns((pl.col("dispatch_mw") / 12).cast(pl.Decimal(38, 6))
                           .alias("expected_energy_mwh"))
    meter_values = rng.integers(0, 9_000_000, RESOURCES * len(rtds))
    meter = pl.DataFrame({
        "resource_id": rtd["resource_id"],
        "scid": np.repeat(scid, len(rtds)),
        "interval_start_utc": rtd["interval_start_utc"],
        "measurement": np.repeat(np.where(is_load, "LOAD", "GEN"), len(rtds)),
        "mwh": _dec(meter_values), "estimated": np.zeros(len(meter_values), dtype=bool)})
    price_frames = []
    nodes = [f"N{n:03d}" for n in range(NODES)] + ["DLAP0", "DLAP1", "DLAP2"]
    for market, instants in (("DAM", hours), ("FMM", fmms), ("RTD", rtds)):
        n = len(nodes) * len(instants)
        e, c, lo = (rng.integers(a, b, n) for a, b in ((10**7, 6 * 10**7), (-5 * 10**6, 5 * 10**6),
                                                      (-2 * 10**6, 2 * 10**6)))
        price_frames.append(pl.DataFrame({
            "market": market, "node": np.repeat(nodes, len(instants)),
            "interval_start_utc": pl.concat([instants] * len(nodes)),
            "lmp": _dec(e + c + lo), "energy": _dec(e), "congestion": _dec(c),
            "loss": _dec(lo)}))
    virtuals = pl.DataFrame({"scid": np.repeat([f"S{n:03d}" for n in range(5)], len(hours)),
                             "location": "N001",
                             "interval_start_utc": pl.concat([hours] * 5),
                             "mw": _dec(rng.integers(-50, 50, 5 * len(hours)) * 10**6)})
    trades = pl.DataFrame({"seller_scid": "S001", "buyer_scid": "S002", "location": "DLAP0",
                           "interval_start_utc": hours,
                           "mw": _dec(np.full(len(hours), 10 * 10**6))})
    fees = pl.DataFrame({"trade_date": DAYS * SCIDS,
                         "scid": np.repeat([f"S{n:03d}" for n in range(SCIDS)], len(DAYS)),
                         "market": "DAM", "segment_count": rng.integers(0, 5000,
                                                                        SCIDS * len(DAYS))})
    scid_charges = pl.DataFrame({"trade_date": [DAYS[0]] * SCIDS,
                                 "scid": [f"S{n:03d}" for n in range(SCIDS)]})
    eligible = resources.filter(pl.col("resource_id").is_in(ids[-10:])).select(
        "trade_date", "scid", "resource_id")
    return SettlementInputs.of(
        intervals=grid, resources=resources, da_awards=da, fmm_schedules=fmm,
        rtd_dispatch=rtd, prices=pl.concat(price_frames), virtuals=virtuals, meter=meter,
        trades=trades, segment_fees=fees, scid_charges=scid_charges, loss_eligible=eligible)


class _Capsule:
    """Hands a Polars frame to DuckDB through the Arrow PyCapsule interface (no pyarrow)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self.frame.__arrow_c_stream__(requested_schema)


def duckdb_floor(inputs: SettlementInputs) -> float:
    """DuckDB: 6460, 6470, 6475 alone, exact decimals, over the same data."""
    import duckdb

    con = duckdb.connect()
    for name in ("intervals", "resources", "da_awards", "fmm_schedules", "rtd_dispatch",
                 "prices", "meter"):
        con.from_arrow(_Capsule(getattr(inputs, name))).create(name)
    start = time.perf_counter()
    con.sql("""
        WITH g AS (
          SELECT r.trade_date, r.resource_id, r.scid, r.node, i.interval_start_utc t,
                 i.fmm_start_utc f, i.hour_start_utc h FROM resources r
          JOIN intervals i USING (trade_date)),
        x AS (
          SELECT g.*, coalesce(d.energy_mw, 0)::DECIMAL(38,6) da,
                 coalesce(fs.dispatch_mw, d.energy_mw, 0)::DECIMAL(38,6) fm,
                 coalesce(rd.dispatch_mw, fs.dispatch_mw, d.energy_mw, 0)::DECIMAL(38,6) rt,
                 coalesce(rd.expected_energy_mwh, 0)::DECIMAL(38,6) ex,
                 (CASE WHEN m.measurement = 'GEN' THEN m.mwh ELSE -m.mwh END)::DECIMAL(38,6) me,
                 p.lmp::DECIMAL(38,6) lmp
          FROM g LEFT JOIN da_awards d ON d.resource_id = g.resource_id
                                      AND d.interval_start_utc = g.h
          LEFT JOIN fmm_schedules fs ON fs.resource_id = g.resource_id
                                     AND fs.interval_start_utc = g.f
          LEFT JOIN rtd_dispatch rd ON rd.resource_id = g.resource_id
                                    AND rd.interval_start_utc = g.t
          LEFT JOIN meter m ON m.resource_id = g.resource_id AND m.interval_start_utc = g.t
          JOIN prices p ON p.market = 'RTD' AND p.node = g.node AND p.interval_start_utc = g.t)
        SELECT trade_date, scid, resource_id,
               sum((da - fm) * 5 * lmp) c6460, sum((fm - rt) * 5 * lmp) c6470,
               sum((ex - me) * 60 * lmp) c6475
        FROM x GROUP BY ALL""").fetchall()
    return time.perf_counter() - start


def main() -> None:
    t0 = time.perf_counter()
    inputs = build()
    print(f"inputs built in {time.perf_counter() - t0:.1f} s: "
          f"{inputs.rtd_dispatch.height:,} RTD resource-intervals, "
          f"{inputs.meter.height:,} meter values, {inputs.prices.height:,} prices")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        upgrade(url)
        engine = make_engine(url)
        start = time.perf_counter()
        result = settle(inputs, EngineParameters(Decimal("0.005"), Decimal("1000")))
        computed = time.perf_counter() - start
        clock = FixedClock(datetime(2020, 9, 1, tzinfo=UTC))
        with unit_of_work(make_session_factory(engine)) as session:
            for day in DAYS:
                store_result(session, result, trade_date=day, clock=clock,
                             options=StatementOptions(kind="initial", publication_date=day))
        total = time.perf_counter() - start
        engine.dispose()
    lines = result.lines.height
    print(f"gridmarket settlement, 30 trade dates × {RESOURCES} resources: compute "
          f"{computed:.1f} s, compute + store {total:.1f} s ({lines:,} statement lines, "
          f"every trade date $0.00: {set(result.totals().values())})")
    floor = duckdb_floor(inputs)
    print(f"peer (floor): DuckDB 6460+6470+6475 only, no statements: {floor:.1f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
