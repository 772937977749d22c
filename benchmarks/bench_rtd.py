"""Real-time dispatch benchmark: every 5-minute RTD interval of an RTS-GMLC day.

Run from the project root::

    python benchmarks/bench_rtd.py                      # 2020-07-15 and 2020-01-15
    python benchmarks/bench_rtd.py --dates 2020-07-15 --repeat 5
    python benchmarks/bench_rtd.py --no-egret

Each interval is dispatched with the network, marginal losses, regulation and
spinning reserve and ramping from the previous interval, from the day-ahead
commitment; one model is built and re-solved in place. Per interval it times the
model update, solve, prices and consistency check (median over ``--repeat``
runs of the mean and max, each run in a fresh process). If Egret and Pyomo are
installed, Egret's single-period DC-OPF (economic dispatch with the network, no
losses, no reserves, no ramping) on one hour of the same day runs as a peer.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys

from bench_ifm import EGRET_SETUP, _cores, _egret_available

DEFAULT_DATES = ("2020-07-15", "2020-01-15")
TARGET_MEAN_SECONDS = 0.020
TARGET_DAY_SECONDS = 10.0
PEER_HOUR = 12
QUOTED_EGRET_SECONDS = "about 0.030"

OURS_SCRIPT = """
import json, sys
from datetime import date
from gridmarket.cli.bench import measure_rtd
print(json.dumps(measure_rtd(date.fromisoformat(sys.argv[1]))))
"""

EGRET_ED_SCRIPT = (
    EGRET_SETUP
    + """
import json, logging, statistics, sys, time, warnings
from datetime import date, timedelta
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
from egret.parsers.rts_gmlc.parser import create_ModelData
from egret.models.dcopf import solve_dcopf
day, hour, repeat = date.fromisoformat(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
md = create_ModelData(egret_source_dir(), day.isoformat(), (day + timedelta(days=1)).isoformat(),
                      "DAY_AHEAD")
one_hour = md.clone_at_time_index(hour)
# The parser gives thermal units fuel curves and prices (for its unit commitment);
# the DC-OPF wants cost curves: fuel × price, and zero for renewables.
for unit in one_hour.data["elements"]["generator"].values():
    if "p_fuel" in unit:
        points = [(mw, fuel * unit["fuel_cost"]) for mw, fuel in unit["p_fuel"]["values"]]
        unit["p_cost"] = {"data_type": "cost_curve", "cost_curve_type": "piecewise",
                          "values": points}
    elif "p_cost" not in unit:
        unit["p_cost"] = {"data_type": "cost_curve", "cost_curve_type": "polynomial",
                          "values": {0: 0.0, 1: 0.0}}
solver = highs_solver()
seconds = []
for _ in range(repeat):
    start = time.perf_counter()
    result = solve_dcopf(one_hour, solver, solver_tee=False)
    seconds.append(time.perf_counter() - start)
print(json.dumps({"median_seconds": statistics.median(seconds), "min_seconds": min(seconds),
                  "objective": result.data["system"].get("total_cost")}))
"""
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", nargs="*", default=list(DEFAULT_DATES))
    parser.add_argument("--repeat", type=int, default=3, help="runs per day (median)")
    parser.add_argument("--no-egret", action="store_true", help="skip the live peer")
    parser.add_argument("--egret-timeout", type=float, default=300.0)
    options = parser.parse_args()

    run_peer = not options.no_egret and _egret_available()
    print(f"RTS-GMLC real-time dispatch, 5-minute intervals, median of {options.repeat} runs")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {_cores()} cores")
    if not options.no_egret and not run_peer:
        print("Egret peer: not installed (see benchmarks/README.md); quoted figure only")
    print()
    header = (
        f"{'day':11} {'intervals':>9} {'build s':>8} {'mean ms':>8} {'median ms':>9} "
        f"{'max ms':>8} {'day s':>6} {'consistent':>10} {'short':>5}  "
        f"Egret DC-OPF hour {PEER_HOUR}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for day in options.dates:
        runs = [_ours(day) for _ in range(max(1, options.repeat))]
        peer = _egret(day, options.egret_timeout) if run_peer else "-"
        mean = statistics.median(float(r["mean_seconds"]) for r in runs)
        total = statistics.median(float(r["total_seconds"]) for r in runs)
        last = runs[-1]
        build = statistics.median(r["build_seconds"] for r in runs)
        median = statistics.median(r["median_seconds"] for r in runs)
        longest = statistics.median(r["max_seconds"] for r in runs)
        print(
            f"{day:11} {last['intervals']:9d} {build:8.3f} {1000 * mean:8.2f}"
            f" {1000 * median:9.2f} {1000 * longest:8.2f} {total:6.2f}"
            f" {last['consistent_intervals']:10d} {last['intervals_with_shortage']:5d}  {peer}",
            flush=True,
        )
        verdicts.append(
            f"{day} mean {1000 * mean:.1f} ms "
            f"{'ok' if mean <= TARGET_MEAN_SECONDS else 'MISSED'}, day {total:.1f} s "
            f"{'ok' if total <= TARGET_DAY_SECONDS else 'MISSED'}"
        )
    print()
    print(
        f"Targets: mean <= {1000 * TARGET_MEAN_SECONDS:.0f} ms, "
        f"a day <= {TARGET_DAY_SECONDS:.0f} s: {'; '.join(verdicts)}"
    )
    print(
        f"Quoted: Egret single-period economic dispatch on this machine, {QUOTED_EGRET_SECONDS} s"
        " (no losses, no reserves)"
    )
    return 0


def _ours(day: str) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", OURS_SCRIPT, day], capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def _egret(day: str, timeout_seconds: float) -> str:
    try:
        completed = subprocess.run(
            [sys.executable, "-c", EGRET_ED_SCRIPT, day, str(PEER_HOUR), "10"],
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout_seconds:.0f} s (timed out)"
    if completed.returncode != 0 or not completed.stdout.strip():
        lines = completed.stderr.strip().splitlines() or ["no output"]
        return f"crashed: {lines[-1][:60]}"
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    return (
        f"median {1000 * figures['median_seconds']:.1f} ms "
        f"(min {1000 * figures['min_seconds']:.1f} ms)"
    )


if __name__ == "__main__":
    sys.exit(main())
