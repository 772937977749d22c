"""``gridmarket bench``: the clearing engine's benchmarks on the RTS-GMLC system.

Example::

    $ gridmarket bench ifm --date 2020-07-15 --json
    {"build_seconds": 0.4, "seconds_to_1pct": 8.1, "seconds_to_0_1pct": 10.2, ...}
    $ gridmarket bench rtd --date 2020-07-15 --json
    {"intervals": 288, "mean_seconds": 0.012, "max_seconds": 0.04, "total_seconds": 3.5, ...}

``measure_ifm`` and ``measure_rtd`` are also what ``benchmarks/bench_ifm.py`` and
``benchmarks/bench_rtd.py`` run.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Annotated, Any

import numpy as np
import typer

from gridmarket.clearing import ClearingFailed, clear_day_ahead
from gridmarket.config import MarketParameters, get_settings
from gridmarket.markets.rts_gmlc_case import CaseOptions, day_ahead_case
from gridmarket.markets.rts_gmlc_realtime import dispatch_real_time, real_time_day

EXIT_FAILED = 2
# The commitment the real-time benchmark dispatches from is solved to this gap.
RTD_COMMITMENT_GAP = 0.01

bench_app = typer.Typer(help="Benchmarks of the clearing engine on RTS-GMLC.",
                        no_args_is_help=True)


def measure_ifm(trade_date: date, *, mip_gap: float = 0.001,
                time_limit_seconds: float | None = None) -> dict[str, Any]:
    """Clear the RTS-GMLC day-ahead IFM of ``trade_date`` (network and reserves, lossless).

    Seconds to a gap count from the start of the clearing (model build included);
    ``case_seconds`` is reading the data into the input tables, before that.
    """
    start = time.perf_counter()
    inp = day_ahead_case(get_settings().rts_gmlc_dir, trade_date, MarketParameters(),
                         CaseOptions(mip_gap=mip_gap, time_limit_seconds=time_limit_seconds))
    case_seconds = time.perf_counter() - start
    result = clear_day_ahead(inp)
    stats = result.statistics
    return {
        "date": trade_date.isoformat(),
        "build_seconds": stats.build_seconds,
        "case_seconds": case_seconds,
        "screening_seconds": stats.screening_seconds,
        "start_seconds": stats.start_seconds,
        "seconds_to_1pct": stats.seconds_to_gap(0.01),
        "seconds_to_0_1pct": stats.seconds_to_gap(0.001),
        "total_seconds": stats.total_seconds,
        "final_gap": stats.mip_gap,
        "objective": stats.objective_usd,
        "start_objective": stats.start_objective_usd,
        "lazy_rounds": stats.lazy_iterations,
        "branch_rows": stats.branch_rows,
        "integer_columns": stats.n_integer,
        "columns": stats.n_columns,
        "rows": stats.n_rows,
        "consistent": result.consistency.ok,
    }


def measure_rtd(trade_date: date, *, intervals: int | None = None) -> dict[str, Any]:
    """Dispatch every 5-minute interval of ``trade_date`` from its day-ahead commitment.

    The commitment comes from the IFM with losses, solved to a 1 % gap first
    (``day_ahead_seconds``, not part of the RTD figures). Each interval's time
    is the model update, solve, prices and consistency check.
    """
    rts = get_settings().rts_gmlc_dir
    parameters = MarketParameters()
    start = time.perf_counter()
    day_ahead = clear_day_ahead(day_ahead_case(
        rts, trade_date, parameters, CaseOptions(mip_gap=RTD_COMMITMENT_GAP, lossless=False)))
    day_ahead_seconds = time.perf_counter() - start
    day = real_time_day(rts, trade_date, parameters, day_ahead.schedules.commitment,
                        day_ahead_output_mw=day_ahead.schedules.output_mw)
    count = day.n_intervals if intervals is None else min(intervals, day.n_intervals)
    run = dispatch_real_time(day, range(count))
    shortage = np.array([r.relaxations.shortage_mw[0] for r in run.results])
    return {
        "date": trade_date.isoformat(),
        "intervals": len(run.results),
        "mean_seconds": run.mean_seconds,
        "median_seconds": float(np.median(run.seconds)),
        "max_seconds": run.max_seconds,
        "total_seconds": run.total_seconds,
        "build_seconds": run.build_seconds,
        "day_ahead_seconds": day_ahead_seconds,
        "consistent_intervals": sum(r.consistency.ok for r in run.results),
        "intervals_with_shortage": int((shortage > 1e-6).sum()),
        "mean_lmp_usd_per_mwh": float(np.mean([r.prices.lmp_usd_per_mwh.mean()
                                               for r in run.results])),
    }


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        typer.echo(f"error: {text!r} is not a date (YYYY-MM-DD)", err=True)
        raise typer.Exit(EXIT_FAILED) from None


def _emit(figures: dict[str, Any], json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(figures))
        return
    for name, value in figures.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        typer.echo(f"{name:26} {shown}")


@bench_app.command("ifm")
def bench_ifm(
    trade_date: Annotated[str, typer.Option("--date", help="Trade day, YYYY-MM-DD (2020).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    gap: Annotated[float, typer.Option(help="Relative MIP gap to stop at.")] = 0.001,
) -> None:
    """Day-ahead IFM on RTS-GMLC: build time, seconds to 1 % and 0.1 % gap, objective."""
    day = _parse_date(trade_date)
    try:
        figures = measure_ifm(day, mip_gap=gap)
    except (ClearingFailed, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    _emit(figures, json_output)


@bench_app.command("rtd")
def bench_rtd(
    trade_date: Annotated[str, typer.Option("--date", help="Trade day, YYYY-MM-DD (2020).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    intervals: Annotated[int | None, typer.Option(help="Dispatch only the first N.")] = None,
) -> None:
    """Real-time dispatch of every 5-minute interval of a day: mean and max seconds."""
    day = _parse_date(trade_date)
    try:
        figures = measure_rtd(day, intervals=intervals)
    except (ClearingFailed, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    _emit(figures, json_output)
