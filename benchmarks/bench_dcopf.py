"""DC-OPF benchmark: parse, build and solve times and objectives on the pglib cases.

Run from the project root::

    python benchmarks/bench_dcopf.py                      # the shared pglib cases
    python benchmarks/bench_dcopf.py path/to/case.m ...   # other MATPOWER files
    python benchmarks/bench_dcopf.py --no-pandapower      # skip the live peer

Times are the median of ``--repeat`` runs. If pandapower (and matpowercaseframes, which
it needs to read ``.m`` files) is installed, it runs as a live peer in a subprocess
with a time limit: ``from_mpc`` + ``rundcopp`` (MATPOWER's DC conventions).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gridmarket.clearing.dcopf import DcOpfError, solve_dc_opf
from gridmarket.config import get_settings
from gridmarket.network.matpower import MatpowerFormatError, parse_matpower

# Published DC-OPF objectives ($/h, PowerModels DCPPowerModel), from the data README.
PUBLISHED_DC_OBJECTIVE = {
    "pglib_opf_case5_pjm": 1.7480e04,
    "pglib_opf_case14_ieee": 2.0515e03,
    "pglib_opf_case24_ieee_rts": 6.1001e04,
    "pglib_opf_case30_ieee": 7.4728e03,
    "pglib_opf_case57_ieee": 3.4773e04,
    "pglib_opf_case73_ieee_rts": 1.8300e05,
    "pglib_opf_case118_ieee": 9.3101e04,
    "pglib_opf_case2848_rte": 1.2677e06,
    "pglib_opf_case9591_goc": 1.0309e06,
}

# Peers measured earlier on this 2-core machine (parse + build + solve, seconds).
QUOTED_PEERS = (
    ("pandapower", "~2,000", "1.35"),
    ("pandapower", "~10,000", "21.9"),
    ("PyPSA + HiGHS", "~2,000", "4.6"),
    ("PyPSA + HiGHS", "~10,000", "> 300"),
)

# Targets for our total time (parse + build + solve).
TARGETS = ((2_000, 3_000, 0.3), (9_000, 11_000, 2.0))

PANDAPOWER_SCRIPT = """
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)
import pandapower
from pandapower.converter.matpower.from_mpc import from_mpc
start = time.perf_counter()
try:
    net = from_mpc(sys.argv[1])
    pandapower.rundcopp(net)
    figures = {"objective": float(net.res_cost)}
except Exception as error:
    figures = {"error": type(error).__name__}
figures["total"] = time.perf_counter() - start
print(json.dumps(figures))
"""


@dataclass
class Row:
    name: str
    n_bus: int
    parse: float
    build: float
    solve: float
    objective: float
    method: str
    published: float | None
    peer: str

    @property
    def total(self) -> float:
        return self.parse + self.build + self.solve


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", type=Path, help="MATPOWER files or folders")
    parser.add_argument("--convention", default="powermodels", choices=["powermodels", "matpower"])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median time)")
    parser.add_argument("--no-pandapower", action="store_true", help="skip the live peer")
    parser.add_argument(
        "--peer-timeout", type=float, default=120.0, help="seconds allowed per pandapower run"
    )
    options = parser.parse_args()

    files = _case_files(options.cases or [get_settings().pglib_dir])
    run_peer = not options.no_pandapower and _pandapower_available()
    print(f"DC-OPF benchmark, {options.convention} convention, median of {options.repeat} runs")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {_cores()} cores")
    if not options.no_pandapower and not run_peer:
        print("pandapower peer: not installed (see benchmarks/README.md); quoted figures only")
    print()

    header = (
        f"{'case':28} {'buses':>6} {'parse s':>8} {'build s':>8} {'solve s':>8} {'total s':>8}"
        f" {'objective $/h':>15} {'published':>11} {'rel err':>9} {'method':>16}"
        f"  {'pandapower s (objective)'}"
    )
    print(header)
    print("-" * len(header))
    rows: list[Row] = []
    for path in files:
        row = _measure(path, options.convention, options.repeat)
        if row is None:
            continue
        if run_peer:
            row.peer = _pandapower(path, options.peer_timeout)
        rows.append(row)
        print(_format(row), flush=True)

    print()
    print("Targets (total = parse + build + solve):")
    for low, high, limit_seconds in TARGETS:
        inside = [row for row in rows if low <= row.n_bus <= high]
        verdicts = ", ".join(
            f"{row.name} {row.total:.3f} s {'ok' if row.total <= limit_seconds else 'MISSED'}"
            for row in inside
        )
        print(f"  {low:,}-{high:,} buses: <= {limit_seconds} s: {verdicts or 'no case in range'}")
    print()
    print("Quoted peers, measured on this machine (parse + build + solve):")
    for peer, buses, quoted_seconds in QUOTED_PEERS:
        print(f"  {peer:14} {buses:>8} buses  {quoted_seconds:>6} s")
    return 0


def _case_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.m")) if path.is_dir() else [path])
    return sorted(files, key=lambda file: file.stat().st_size)


def _measure(path: Path, convention: str, repeat: int) -> Row | None:
    parse_times, build_times, solve_times = [], [], []
    result = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        try:
            case = parse_matpower(path)
            parse_times.append(time.perf_counter() - start)
            result = solve_dc_opf(case, convention)  # type: ignore[arg-type]
        except (MatpowerFormatError, DcOpfError) as error:
            print(f"{path.stem:28} failed: {error}")
            return None
        build_times.append(result.build_seconds)
        solve_times.append(result.solve_seconds)
    assert result is not None
    return Row(
        name=path.stem.removeprefix("pglib_opf_"),
        n_bus=len(result.bus_id),
        parse=statistics.median(parse_times),
        build=statistics.median(build_times),
        solve=statistics.median(solve_times),
        objective=result.objective_usd_per_h,
        method=result.method,
        published=PUBLISHED_DC_OBJECTIVE.get(path.stem),
        peer="-",
    )


def _format(row: Row) -> str:
    published = f"{row.published:11.5g}" if row.published else f"{'-':>11}"
    error = (
        f"{(row.objective - row.published) / row.published:+9.4%}" if row.published else f"{'-':>9}"
    )
    return (
        f"{row.name:28} {row.n_bus:6d} {row.parse:8.3f} {row.build:8.3f} {row.solve:8.3f}"
        f" {row.total:8.3f} {row.objective:15.4f} {published} {error} {row.method:>16}"
        f"  {row.peer}"
    )


def _pandapower_available() -> bool:
    check = "import pandapower, matpowercaseframes"
    return subprocess.run([sys.executable, "-c", check], capture_output=True).returncode == 0


def _pandapower(path: Path, timeout_seconds: float) -> str:
    """pandapower's from_mpc + rundcopp on one case, in a subprocess: a summary cell."""
    try:
        completed = subprocess.run(
            [sys.executable, "-c", PANDAPOWER_SCRIPT, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout_seconds,
        )
    except subprocess.TimeoutExpired:
        return f"> {timeout_seconds:.0f} (timed out)"
    if completed.returncode != 0 or not completed.stdout.strip():
        lines = completed.stderr.strip().splitlines() or ["no output"]
        return f"crashed: {lines[-1][:40]}"
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    if "error" in figures:
        return f"{figures['error']} after {figures['total']:.2f}"
    return f"{figures['total']:.2f} ({figures['objective']:.4f})"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
