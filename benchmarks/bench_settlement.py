"""Settle one month for 1,000 resources at 5-minute resolution (~8.6 M resource-intervals).

Every charge code, every trade date balanced, statements with their bill
determinants stored in a fresh SQLite database (migrated). Prints the figure
and, in the same run, a peer figure: DuckDB computing only the three
imbalance codes (6460, 6470, 6475) over the same frames, exact DECIMAL(38,12)
sums, no statements — the floor.

Run: ``.venv/bin/python benchmarks/bench_settlement.py [--resources 250 500 1000]
[--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]`` (not part of ``make test``).
``build(count, days)`` also makes the smaller markets of
``tests/settlement/test_engine_golden.py``.
"""

from __future__ import annotations

import argparse
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


def build(resource_count: int = RESOURCES, days: list[date] | None = None) -> SettlementInputs:
    """The generated month (seed 42): ``resource_count`` resources (20 % loads) over ``days``."""
    days = days or DAYS
    count, loads = resource_count, resource_count // 5
    rng = np.random.default_rng(42)
    grid = interval_grid(MarketCalendar(), days)
    ids = [f"R{n:04d}" for n in range(count)]
    is_load = np.arange(count) >= count - loads
    scid = [f"S{n % SCIDS:03d}" for n in range(count)]
    node = [f"DLAP{n % 3}" if is_load[n] else f"N{n % NODES:03d}" for n in range(count)]
    resources = pl.DataFrame({"resource_id": ids, "scid": scid, "node": node}).join(
        pl.DataFrame({"trade_date": days}), how="cross")
    sign = np.where(is_load, -1, 1)

    def schedule(instants: pl.Series, low: int, high: int) -> pl.DataFrame:
        n = len(instants)
        base = rng.integers(low, high, (count, n)) * sign[:, None]
        return pl.DataFrame({"resource_id": np.repeat(ids, n),
                             "interval_start_utc": pl.concat([instants] * count),
                             "mw": _dec(base.reshape(-1) * 10**3)})

    hours = grid["hour_start_utc"].unique().sort()
    fmms = grid["fmm_start_utc"].unique().sort()
    rtds = grid["interval_start_utc"]
    da = schedule(hours, 0, 100_000).rename({"mw": "energy_mw"})
    fmm = schedule(fmms, 0, 100_000).rename({"mw": "dispatch_mw"})
    rtd = schedule(rtds, 0, 100_000).rename({"mw": "dispatch_mw"})
    rtd = rtd.with_columns((pl.col("dispatch_mw") / 12).cast(pl.Decimal(38, 6))
                           .alias("expected_energy_mwh"))
    meter_values = rng.integers(0, 9_000_000, count * len(rtds))
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
    fees = pl.DataFrame({"trade_date": days * SCIDS,
                         "scid": np.repeat([f"S{n:03d}" for n in range(SCIDS)], len(days)),
                         "market": "DAM", "segment_count": rng.integers(0, 5000,
                                                                        SCIDS * len(days))})
    scid_charges = pl.DataFrame({"trade_date": [days[0]] * SCIDS,
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


def _database(backend: str, folder: str) -> str:
    """A fresh migrated database: a SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(backend, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "bench_settlement" WITH (FORCE)'))
            connection.execute(text('CREATE DATABASE "bench_settlement"'))
        admin.dispose()
        url = make_url(backend).set(database="bench_settlement").render_as_string(
            hide_password=False)
    upgrade(url)
    return url


def run(inputs: SettlementInputs, days: list[date], backend: str) -> tuple[float, float, int]:
    """Settle ``days`` once and store every trade date: (compute s, store s, lines)."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(_database(backend, folder))
        start = time.perf_counter()
        result = settle(inputs, EngineParameters(Decimal("0.005"), Decimal("1000")))
        computed = time.perf_counter() - start
        assert set(result.totals().values()) == {Decimal("0.00")}
        clock = FixedClock(datetime(2020, 9, 1, tzinfo=UTC))
        with unit_of_work(make_session_factory(engine)) as session:
            for day in days:
                store_result(session, result, trade_date=day, clock=clock,
                             options=StatementOptions(kind="initial", publication_date=day))
        stored = time.perf_counter() - start - computed
        engine.dispose()
    return computed, stored, result.lines.height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[RESOURCES],
                        help="resource counts to run (e.g. 250 500 1000 for scaling)")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="also store on PostgreSQL (a database bench_settlement is made)")
    parser.add_argument("--no-floor", action="store_true", help="skip the DuckDB peer figure")
    args = parser.parse_args()
    for count in args.resources:
        t0 = time.perf_counter()
        inputs = build(count)
        print(f"{count} resources: inputs built in {time.perf_counter() - t0:.1f} s: "
              f"{inputs.rtd_dispatch.height:,} RTD resource-intervals, "
              f"{inputs.meter.height:,} meter values, {inputs.prices.height:,} prices")
        backends = ["sqlite", *([args.postgres] if args.postgres else [])]
        for backend in backends:
            computed, stored, lines = run(inputs, DAYS, backend)
            name = "sqlite" if backend == "sqlite" else "postgresql"
            print(f"  gridmarket settlement, 30 trade dates x {count} resources, {name}: "
                  f"compute {computed:.1f} s, store {stored:.1f} s, total "
                  f"{computed + stored:.1f} s ({lines:,} statement lines, every trade date "
                  f"$0.00)")
            sys.stdout.flush()
        if not args.no_floor:
            print(f"  peer (floor): DuckDB 6460+6470+6475 only, no statements: "
                  f"{duckdb_floor(inputs):.1f} s")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
