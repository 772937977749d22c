"""The demo market under load: a database ready for a stream of bids, and the API served to it.

What the bid intake benchmark (``benchmarks/bench_bid_intake.py``) and the
system tests (``tests/system``) share:

* :func:`prepare_bid_market` migrates an empty database, loads the RTS-GMLC
  Master File and the demo cast (every resource assigned and certified,
  credit on file), gives the trader of each SC with resources an API token and
  writes one energy bid set per resource (:func:`energy_bid_set`: 24 hours of
  ten segments priced from the resource's cost curve, about 7 KB of JSON).
* :func:`running_server` runs a server as a child process on a free loopback
  port until the block ends; :func:`serve_arguments` is ``gridmarket serve``
  as production runs it, and :meth:`RunningServer.listening_workers` tells
  which of its worker processes accept connections.

Example::

    market = prepare_bid_market(url, date(2020, 7, 15))
    env = {"GRIDMARKET_DATABASE_URL": url, "GRIDMARKET_FIXED_CLOCK": market.clock.isoformat()}
    with running_server(serve_arguments(workers=2), env, ready=all_listening(2)) as server:
        request = market.requests[0]
        httpx.post(f"{server.base_url}/api/v1/bids", content=request.body,
                   headers={"Authorization": f"Bearer {request.token}"})
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.models import Person
from gridmarket.access.tokens import create_api_token
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import Clock, FixedClock
from gridmarket.config import AccessRules, MarketParameters, get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.demo.credit import seed_demo_credit
from gridmarket.demo.scenario import DEMO_COORDINATORS, seed_demo_participants
from gridmarket.participants.models import Scid
from gridmarket.resources.certifications import certify_demo_resources
from gridmarket.resources.models import Resource, ResourceAssignment, ResourceType
from gridmarket.resources.rts_import import import_rts_gmlc

SEGMENTS = 10
BIDDING_LEAD = timedelta(hours=2)
"""The server's clock stands this long before the day-ahead close: every hour is open."""
TOKEN_DAYS = 365
STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class BidRequest:
    scid: str
    token: str
    """The bearer secret of the SC's trader."""
    body: str
    """A bid set as JSON, one energy bid."""


@dataclass(frozen=True)
class BidMarket:
    clock: datetime
    """The instant to fix the server's clock at (``GRIDMARKET_FIXED_CLOCK``)."""
    requests: list[BidRequest]
    """One per resource of the SCs that own resources, the SCs interleaved."""


def prepare_bid_market(url: str, trade_date: date, *, revision: str = "heads",
                       parameters: MarketParameters | None = None) -> BidMarket:
    """Migrate the empty database at ``url`` and seed it for bids on ``trade_date``."""
    parameters = parameters or MarketParameters()
    calendar = MarketCalendar(parameters)
    clock = FixedClock(calendar.dam_close(trade_date) - BIDDING_LEAD)
    certified_on = calendar.add_business_days(trade_date, -30)
    upgrade(url, revision)
    engine = make_engine(url)
    requests: list[BidRequest] = []
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            import_rts_gmlc(session, get_settings().rts_gmlc_dir, parameters)
            seed_demo_participants(session, certified_on)
            certify_demo_resources(session, certified_on)
            seed_demo_credit(session, certified_on, parameters)
            for spec in DEMO_COORDINATORS:
                bodies = [energy_bid_set(spec.scid, resource, trade_date)
                          for resource in _resources_of(session, spec.scid)]
                if not any(bodies):
                    continue  # The virtual trader has no resources.
                token = issue_api_tokens(session, [f"trader@{spec.slug}.example"], clock,
                                         parameters.access)[f"trader@{spec.slug}.example"]
                requests.extend(BidRequest(spec.scid, token, body) for body in bodies if body)
    finally:
        engine.dispose()
    # Interleave the SCs so consecutive requests come from different traders.
    random.Random(2020).shuffle(requests)
    return BidMarket(clock.now(), requests)


def issue_api_tokens(session: Session, emails: list[str], clock: Clock, rules: AccessRules
                     ) -> dict[str, str]:
    """A year's API token for each person named (as an operator issues them): e-mail -> secret."""
    secrets = {}
    for person in session.scalars(select(Person).where(Person.email.in_(emails))):
        secrets[person.email] = create_api_token(
            session, person.id, name="load", lifetime_days=min(TOKEN_DAYS,
                                                               rules.max_token_lifetime_days),
            rules=rules, clock=clock, actor=None).secret
    missing = set(emails) - set(secrets)
    if missing:
        raise LookupError(f"no person with e-mail {', '.join(sorted(missing))}")
    return secrets


def _resources_of(session: Session, scid: str) -> list[Resource]:
    return list(session.scalars(
        select(Resource)
        .join(ResourceAssignment, ResourceAssignment.resource_pk == Resource.id)
        .join(Scid, Scid.id == ResourceAssignment.scid_id)
        .where(Scid.code == scid)
        .order_by(Resource.resource_id)
    ))


def energy_bid_set(scid: str, resource: Resource, trade_date: date,
                   segments: int = SEGMENTS) -> str | None:
    """One DAM energy bid set for ``resource``: 24 hours of ``segments`` segments, as JSON.

    Supply is priced from the registered cost curve, a little different hour by
    hour; demand bids fall from $900. None when the resource's range is too
    narrow for that many 0.1 MW steps.
    """
    demand = resource.resource_type in {ResourceType.LOAD, ResourceType.EXPORT_TIE}
    start = Decimal(0) if demand else resource.p_min_mw
    width = resource.p_max_mw - start
    if width < segments * Decimal("0.1"):
        return None
    costs = sorted(resource.cost_segments, key=lambda s: s.sequence)
    hours = []
    for hour in range(1, 25):
        scale = Decimal(1) + Decimal(hour % 7) / 100
        steps = []
        previous = Decimal("Infinity") if demand else Decimal("-Infinity")
        for step in range(1, segments + 1):
            mw = (start + width * step / segments).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if demand:
                price = min(previous, Decimal(900) - 60 * step)
            else:
                cost = next((c.price_usd_per_mwh for c in costs if mw <= c.mw_to),
                            costs[-1].price_usd_per_mwh if costs else Decimal(0))
                price = max(previous, (cost * scale + step).quantize(Decimal("0.01")))
            previous = price
            steps.append({"mw": float(mw), "price": float(price)})
        hours.append({"hour": hour, "segments": steps})
    body = {"scid": scid, "market": "DAM", "trade_date": trade_date.isoformat(),
            "bids": [{"kind": "ENERGY", "resource": resource.resource_id, "hours": hours}]}
    return json.dumps(body, separators=(",", ":"))


# --- A server as a child process ------------------------------------------------------------


@dataclass
class RunningServer:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def listening_workers(self) -> set[int]:
        """The worker processes accepting connections (each binds its socket once it can
        serve), read from Linux ``/proc``: the server's descendants listening on its port."""
        return listening_pids(self.port, _descendants(self.process.pid))


def serve_arguments(workers: int) -> list[str]:
    """``gridmarket serve`` on ``{port}`` with ``workers`` processes, no access log."""
    return ["-m", "gridmarket.cli.main", "serve", "--host", "127.0.0.1", "--port", "{port}",
            "--workers", str(workers), "--no-access-log"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], object], what: str,
             seconds: float = STARTUP_SECONDS) -> None:
    """Poll ``condition`` until it holds; AssertionError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


def healthy(base_url: str) -> bool:
    """``GET /healthz`` answers 200 (the service and its database are up)."""
    try:
        return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def answers(base_url: str, path: str) -> bool:
    """Anything answers HTTP at ``path`` (any status)."""
    try:
        httpx.get(f"{base_url}{path}", timeout=2)
    except httpx.HTTPError:
        return False
    return True


def all_listening(workers: int, probe: Callable[[str], bool] = healthy
                  ) -> Callable[[RunningServer], bool]:
    """Readiness: ``workers`` workers listening and ``probe(base_url)`` true (``/healthz``)."""
    return lambda server: (len(server.listening_workers()) == workers
                           and probe(server.base_url))


@contextmanager
def running_server(arguments: list[str], env: dict[str, str],
                   ready: Callable[[RunningServer], bool]) -> Iterator[RunningServer]:
    """Run ``python ARGUMENTS`` (``{port}`` replaced by a free port) until the block ends.

    Waits until ``ready``; afterwards sends SIGTERM and waits for the exit
    (``server.process.returncode``). The server's output is printed to stderr
    if the block fails.
    """
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's output, shown on failure
    process = subprocess.Popen(
        [sys.executable, *(part.replace("{port}", str(port)) for part in arguments)],
        env={**os.environ, **env}, start_new_session=True, stdout=log,
        stderr=subprocess.STDOUT)
    server = RunningServer(process, port)
    try:
        wait_for(lambda: process.poll() is not None or ready(server), "the server answering")
        if process.returncode is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        yield server
    except BaseException:
        log.seek(0)
        print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        log.close()
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, and by them, and so on."""
    found: set[int] = set()
    with suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with suppress(OSError):
                for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                    found |= {int(child)} | _descendants(int(child))
    return found


def listening_pids(port: int, pids: set[int]) -> set[int]:
    """Which of ``pids`` hold a TCP socket listening on ``port`` (Linux ``/proc``)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{inode}]")
    listening = set()
    for pid in pids:
        with suppress(OSError):  # The process may be gone already.
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                        listening.add(pid)
                        break
    return listening
