"""Bid intake benchmark: ``POST /api/v1/bids`` over HTTP against PostgreSQL, under ``wrk``.

Run from the project root (PostgreSQL reachable, Debian's ``wrk`` installed)::

    python benchmarks/bench_bid_intake.py                        # 8, 16, 32, 64 connections
    python benchmarks/bench_bid_intake.py --connections 32 --duration 20
    python benchmarks/bench_bid_intake.py --no-peer --keep-database

It creates a fresh database (``--database``, dropped at the end), migrates it,
loads the RTS-GMLC Master File and the demo cast (eight certified SCs, every
resource assigned and certified, credit on file) and gives the trader of each
SC with resources an API token. It writes one energy bid set per resource of
those SCs: 24 hours of 10 segments from Pmin to Pmax priced from the
resource's registered cost curve (about 7 KB of JSON each). The server is
``uvicorn gridmarket.api.app:create_app --factory --workers 2`` (no access log)
with its clock fixed two hours before the day-ahead close of 2020-07-15
(``GRIDMARKET_FIXED_CLOCK``), so every bid takes the full path:
authentication, schema validation of the raw bytes, Master File content
validation, the SC's standing, replacement of the resource's older bid, one
hash-chained audit entry, storage.

``wrk`` (one thread) drives it with a Lua script that cycles through the
bodies and their tokens; each connection count gets a warm-up and then a
measured run. After each run the stored bids are counted: every 201 wrk saw
must be stored, and at most one request per connection may be stored without
wrk seeing its answer (in flight when wrk stopped). Responses other than 201
are reported; more than 0.1 % fails the run. The audit chain is verified at
the end.

The peer is a bare FastAPI + psycopg app (written to a temporary file, two
uvicorn workers) that validates the same bodies with pydantic straight from
the raw bytes and inserts each bid set as one row (no authentication, no
Master File, no credit, no audit), under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gridmarket.demo.load import (
    SEGMENTS,
    all_listening,
    answers,
    prepare_bid_market,
    running_server,
    serve_arguments,
)

TRADE_DATE = date(2020, 7, 15)
TARGET_BIDS_PER_SECOND = 500.0
TARGET_P99_MS = 200.0
MAX_ERROR_SHARE = 0.001
QUOTED_PEER = (
    "bare FastAPI + psycopg, 2 workers, validate and store: near 600 bids/s "
    "(p99 116 ms at 32 connections); validating raw bytes and storing the JSON "
    "unparsed: about 890 bids/s (measured earlier on this machine)"
)

LUA = r"""
local auths, bodies, n = {}, {}, 0
local counter = 0
created, other, statuses = 0, 0, ""  -- globals: done() reads them with thread:get
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    n = n + 1
    auths[n] = "Bearer " .. line:sub(1, tab - 1)
    bodies[n] = line:sub(tab + 1)
  end
  counter = (thread_index * 7919) % n
end

function request()
  counter = counter % n + 1
  return wrk.format("POST", "/api/v1/bids",
    {["Content-Type"] = "application/json", ["Authorization"] = auths[counter]},
    bodies[counter])
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    if #statuses < 600 then
      statuses = statuses .. status .. " " .. body:sub(1, 200):gsub("[\r\n\"\\]", " ") .. "|"
    end
  end
end

function done(summary, latency, requests)
  local c, o, s = 0, 0, ""
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    s = s .. t:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "created": %d, "other": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "samples": "%s"}\n',
    summary.requests, summary.duration, c, o, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, s))
end
"""

PEER_APP = r'''
"""Peer: bare FastAPI + psycopg; validate a bid set with pydantic from raw bytes, store it."""
import os
import queue
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import psycopg
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Segment(Strict):
    mw: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14, decimal_places=6)]
    price: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=14, decimal_places=6)]


class Hour(Strict):
    hour: Annotated[int, Field(ge=1, le=25)]
    segments: Annotated[list[Segment], Field(max_length=50)]


class EnergyBid(Strict):
    kind: Literal["ENERGY"]
    resource: Annotated[str, Field(min_length=1, max_length=64)]
    hours: Annotated[list[Hour], Field(min_length=1, max_length=25)]


class BidSet(Strict):
    scid: Annotated[str, Field(min_length=1, max_length=8)]
    market: Literal["DAM", "RTM"]
    trade_date: date
    bids: Annotated[list[EnergyBid], Field(min_length=1, max_length=2000)]


DSN = os.environ["PEER_DSN"]
POOL: "queue.Queue[psycopg.Connection]" = queue.Queue()
for _ in range(10):
    POOL.put(psycopg.connect(DSN))
app = FastAPI()


def store(body: bytes) -> int:
    bid_set = BidSet.model_validate_json(body)
    connection = POOL.get()
    try:
        with connection.transaction():
            row = connection.execute(
                "INSERT INTO peer_bid (scid, market, trade_date, body) VALUES (%s, %s, %s, %s) "
                "RETURNING id",
                (bid_set.scid, bid_set.market, bid_set.trade_date, body.decode()),
            ).fetchone()
        return row[0]
    finally:
        POOL.put(connection)


@app.post("/api/v1/bids", status_code=201)
async def submit(request: Request) -> Response:
    body = await request.body()
    try:
        bid_id = await run_in_threadpool(store, body)
    except ValueError as error:
        return Response(str(error)[:200], status_code=422)
    return Response(f'{{"bid_id": {bid_id}}}', status_code=201, media_type="application/json")
'''


LAUNCHER = r'''
"""uvicorn with N worker processes, each on its own SO_REUSEPORT socket made as IPPROTO_TCP.

``uvicorn --workers N`` binds ``socket.socket(AF_INET)`` (protocol 0); asyncio
sets TCP_NODELAY only on sockets whose protocol is IPPROTO_TCP, so every
response on a kept-alive connection then waits ~40 ms for the client's delayed
ACK (headers and body are written separately). And its workers share one
listening socket: the first to wake accepts every pending connection (asyncio
accepts up to 100 at a time), so wrk's kept-alive connections, all opened at
once, land mostly on one worker while the other idles. Here each worker binds
its own socket with SO_REUSEPORT and the kernel spreads new connections over
them.
"""
import multiprocessing
import signal
import socket
import sys

import uvicorn


def serve(app: str, host: str, port: int, factory: bool) -> None:
    config = uvicorn.Config(app, host=host, port=port, factory=factory, access_log=False,
                            log_level="warning")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":  # Worker processes are spawned: they import this file again.
    app, host, port, workers, *flags = sys.argv[1:]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=serve, args=(app, host, int(port), "--factory" in flags))
                 for _ in range(int(workers))]
    for process in processes:
        process.start()

    def stop(*_args: object) -> None:
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
'''


class SkipBenchmark(Exception):
    """What the benchmark needs is missing; it is skipped, not failed."""


@dataclass
class ServerCommand:
    launcher: Path
    workers: int
    stock: bool
    """``python -m uvicorn --workers N`` instead of the launcher (shows the ~40 ms stall)."""

    def of(self, app: str, *, factory: bool) -> list[str]:
        """The command line serving ``app`` on ``{port}``."""
        if self.stock:
            return ["-m", "uvicorn", app, *(["--factory"] if factory else []),
                    "--host", "127.0.0.1", "--port", "{port}", "--workers", str(self.workers),
                    "--no-access-log", "--log-level", "warning"]
        return [str(self.launcher), app, "127.0.0.1", "{port}", str(self.workers),
                *(["--factory"] if factory else [])]

    def gridmarket(self) -> list[str]:
        """``gridmarket serve``, as production runs it (unless ``--stock-uvicorn``)."""
        if self.stock:
            return self.of("gridmarket.api.app:create_app", factory=True)
        return serve_arguments(self.workers)


@dataclass
class RunResult:
    connections: int
    seconds: float
    requests: int
    created: int
    other: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    stored: int
    samples: str

    @property
    def bids_per_second(self) -> float:
        return self.created / self.seconds

    @property
    def error_share(self) -> float:
        bad = self.other + self.socket_errors
        return bad / max(1, self.created + bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, nargs="*", default=[8, 16, 32, 64])
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=4, help="seconds of warm-up per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--admin-url", default=os.environ.get(
        "GRIDMARKET_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL database to create the benchmark database from")
    parser.add_argument("--database", default="bench_bids")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--revision", default="heads", help="migrate the database to this")
    parser.add_argument("--no-peer", action="store_true", help="skip the live peer")
    parser.add_argument("--stock-uvicorn", action="store_true",
                        help="serve with `uvicorn --workers N` (no TCP_NODELAY: ~40 ms stalls)")
    options = parser.parse_args()

    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed (apt-get install wrk); skipping the bid intake benchmark")
        return 0
    print(f"Bid intake over HTTP: POST /api/v1/bids, one energy bid per request "
          f"(24 h x {SEGMENTS} segments), PostgreSQL, {options.workers} uvicorn workers, wrk")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, "
          f"{_cores()} cores; {options.warmup} s warm-up + {options.duration} s per run")
    try:
        return _run(options, wrk)
    except SkipBenchmark as skipped:
        print(f"skipping the bid intake benchmark: {skipped}")
        return 0


def _run(options: argparse.Namespace, wrk: str) -> int:
    with _database(options.admin_url, options.database, keep=options.keep_database) as urls, \
            tempfile.TemporaryDirectory(prefix="bench-bids-") as scratch:
        sqlalchemy_url, psycopg_url = urls
        started = time.perf_counter()
        requests_file = Path(scratch) / "requests.tsv"
        lines, clock = _prepare(sqlalchemy_url, options.revision)
        requests_file.write_text("".join(f"{token}\t{body}\n" for token, body in lines))
        sizes = sorted(len(body) for _token, body in lines)
        print(f"prepared in {time.perf_counter() - started:.1f} s: {len(lines)} bodies "
              f"(median {sizes[len(sizes) // 2] / 1024:.1f} KiB, "
              f"{sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} KiB), "
              f"{len({t for t, _b in lines})} traders, clock {clock}")
        lua = Path(scratch) / "bids.lua"
        lua.write_text(LUA)

        launcher = Path(scratch) / "launch.py"
        launcher.write_text(LAUNCHER)
        serve = ServerCommand(launcher, options.workers, stock=options.stock_uvicorn)
        env = {"GRIDMARKET_DATABASE_URL": sqlalchemy_url, "GRIDMARKET_FIXED_CLOCK": clock}
        ours = _measure("gridmarket", serve.gridmarket(),
                        env, options, wrk, lua, requests_file,
                        lambda: _count(psycopg_url, "SELECT count(*) FROM bid"))
        peer: list[RunResult] = []
        if not options.no_peer:
            peer_file = Path(scratch) / "peer_app.py"
            peer_file.write_text(PEER_APP)
            _execute(psycopg_url, "CREATE TABLE peer_bid (id bigserial PRIMARY KEY, "
                                  "scid text NOT NULL, market text NOT NULL, "
                                  "trade_date date NOT NULL, body text NOT NULL)")
            peer = _measure("peer", serve.of("peer_app:app", factory=False),
                            {"PEER_DSN": psycopg_url, "PYTHONPATH": scratch}, options, wrk, lua,
                            requests_file,
                            lambda: _count(psycopg_url, "SELECT count(*) FROM peer_bid"))
        chain = _verify_chain(sqlalchemy_url)
    return _report(ours, peer, chain)


def _prepare(url: str, revision: str) -> tuple[list[tuple[str, str]], str]:
    """Migrate and seed the database; the (token, body) lines and the server clock."""
    market = prepare_bid_market(url, TRADE_DATE, revision=revision)
    return [(r.token, r.body) for r in market.requests], market.clock.isoformat()


def _measure(name: str, command: list[str], env: dict[str, str], options: argparse.Namespace,
             wrk: str, lua: Path, requests_file: Path, count: Any) -> list[RunResult]:
    results = []
    with _server(command, env, options.workers) as port:
        url = f"http://127.0.0.1:{port}"
        for connections in options.connections:
            _wrk(wrk, url, lua, requests_file, connections, options.warmup)
            time.sleep(1.0)
            before = count()
            figures = _wrk(wrk, url, lua, requests_file, connections, options.duration)
            time.sleep(1.5)  # Let requests in flight when wrk stopped finish.
            stored = count() - before
            result = RunResult(
                connections=connections, seconds=figures["duration_us"] / 1e6,
                requests=figures["requests"], created=figures["created"],
                other=figures["other"],
                socket_errors=sum(figures[k] for k in ("connect", "read", "write", "timeout")),
                p50_ms=figures["p50_us"] / 1000, p90_ms=figures["p90_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000, max_ms=figures["max_us"] / 1000,
                stored=stored, samples=figures["samples"])
            results.append(result)
            print(f"  {name:10} {connections:3d} connections: "
                  f"{result.bids_per_second:6.0f} bids/s, "
                  f"p50 {result.p50_ms:6.1f} ms, p99 {result.p99_ms:6.1f} ms, "
                  f"{result.created} created, {result.other} other, "
                  f"{result.socket_errors} socket errors, {stored} stored", flush=True)
    return results


def _wrk(wrk: str, url: str, lua: Path, requests_file: Path, connections: int,
         seconds: int) -> dict[str, Any]:
    completed = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
         "-s", str(lua), url, "--", str(requests_file)],
        capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}"
                           f" {completed.stdout.strip()[-500:]}")
    line = next(li for li in completed.stdout.splitlines() if li.startswith("WRKJSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    return figures


@contextmanager
def _server(command: list[str], env: dict[str, str], workers: int) -> Iterator[int]:
    # Every worker listening and answering (the peer has no /healthz: any answer will do).
    ready = all_listening(workers, lambda base_url: answers(base_url, "/api/v1/bids"))
    with running_server(command, env, ready) as server:
        yield server.port


@contextmanager
def _database(admin_url: str, name: str, *, keep: bool) -> Iterator[tuple[str, str]]:
    import psycopg

    admin = admin_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(admin, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        raise SkipBenchmark(f"PostgreSQL is not reachable at {admin}: {error}") from error
    target = admin.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield target.replace("postgresql://", "postgresql+psycopg://", 1), target
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _count(url: str, query: str) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute(query).fetchone()
        assert row is not None
        return int(row[0])


def _execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _verify_chain(url: str) -> str:
    from gridmarket.access.audit import verify_audit_chain
    from gridmarket.db.engine import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        message = verify_audit_chain(session).message()
    engine.dispose()
    return message


def _report(ours: list[RunResult], peer: list[RunResult], chain: str) -> int:
    print()
    header = (f"{'connections':>11} | {'bids/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'errors':>7} {'stored-201':>10} | {'peer bids/s':>11} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'errors':>7}")
    print(header)
    print("-" * len(header))
    peers = {r.connections: r for r in peer}
    failed = []
    for result in ours:
        other = peers.get(result.connections)
        peer_text = (f"{other.bids_per_second:11.0f} {other.p50_ms:7.1f} {other.p99_ms:7.1f} "
                     f"{100 * other.error_share:6.2f}%" if other else f"{'-':>11}")
        print(f"{result.connections:11d} | {result.bids_per_second:7.0f} {result.p50_ms:7.1f} "
              f"{result.p99_ms:7.1f} {result.max_ms:7.1f} {100 * result.error_share:6.2f}% "
              f"{result.stored - result.created:10d} | {peer_text}")
    for name, results in (("gridmarket", ours), ("peer", peer)):
        for result in results:
            extra = result.stored - result.created
            if result.error_share > MAX_ERROR_SHARE:
                failed.append(f"{name} at {result.connections} connections: "
                              f"{100 * result.error_share:.2f} % errors ({result.samples[:300]})")
            if not 0 <= extra <= result.connections + result.socket_errors:
                failed.append(f"{name} at {result.connections} connections: {result.stored} "
                              f"stored for {result.created} answered 201")
    print()
    print(f"stored-201: bids stored beyond the 201s wrk counted (requests in flight when wrk "
          f"stopped; at most one per connection). {chain}.")
    best = max(ours, key=lambda r: r.bids_per_second)
    met = [r for r in ours
           if r.bids_per_second >= TARGET_BIDS_PER_SECOND and r.p99_ms <= TARGET_P99_MS]
    print(f"Target >= {TARGET_BIDS_PER_SECOND:.0f} bids/s with p99 <= {TARGET_P99_MS:.0f} ms: "
          + (f"met at {', '.join(str(r.connections) for r in met)} connections"
             if met else f"MISSED (best {best.bids_per_second:.0f} bids/s at "
                         f"{best.connections} connections, p99 {best.p99_ms:.0f} ms)"))
    print(f"Quoted: {QUOTED_PEER}")
    if "intact" not in chain:
        failed.append(chain)
    for failure in failed:
        print(f"FAILED: {failure}")
    return 1 if failed else 0


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
