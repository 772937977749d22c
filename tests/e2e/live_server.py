"""A real server for browser tests: a fresh SQLite market, uvicorn on a free loopback port.

:func:`live_server` runs it in a process of its own on the system clock;
:func:`live_server_on_clock` in a thread of the test's process on a
:class:`~gridmarket.clock.FixedClock` the test moves, for journeys through a
whole market timeline (bidding before the close, results, statements weeks later).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select

from gridmarket.access.principal import load_principal
from gridmarket.access.service import find_person_by_email
from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock, SystemClock
from gridmarket.config import AccessRules, MarketParameters, Settings, get_settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.db.migrate import upgrade
from gridmarket.demo.credit import seed_demo_credit
from gridmarket.demo.scenario import seed_demo_participants, set_demo_passwords
from gridmarket.markets.forecasts import load_rts_gmlc_forecasts
from gridmarket.network.queries import network_model
from gridmarket.participants.models import Scid
from gridmarket.resources.certifications import certify_demo_resources
from gridmarket.resources.models import ResourceAssignment, TransferKind
from gridmarket.resources.rts_import import import_rts_gmlc
from gridmarket.resources.transfer_documents import generate_transfer_letters
from gridmarket.resources.transfer_rules import earliest_effective_date
from gridmarket.resources.transfers import TransferRequest, submit_transfer

PASSWORD = "browser test passphrase"
FAST_HASHING = {"password_time_cost": 1, "password_memory_kib": 64, "password_parallelism": 1}
"""Cheap argon2 settings, for the server and the seeded passwords alike."""


@dataclass(frozen=True)
class SeededMarket:
    transfer_id: int
    thermal_resource_id: str


def seed_market(database_url: str) -> SeededMarket:
    """The RTS-GMLC Master File, the demo ISO and SCs with :data:`PASSWORD`, one transfer."""
    upgrade(database_url)
    rules = AccessRules(**FAST_HASHING)
    parameters = MarketParameters(access=rules)
    calendar = MarketCalendar(parameters)
    clock = SystemClock()
    today = calendar.trade_date_of(clock.now())
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            import_rts_gmlc(session, get_settings().data_dir / "rts-gmlc", parameters)
            seed_demo_participants(session, date(2020, 1, 2))
            set_demo_passwords(session, PASSWORD, rules)
            certify_demo_resources(session, today)
            trader = load_principal(
                session, find_person_by_email(session, "trader@desert.example").id
            )
            peaker = session.scalars(
                select(ResourceAssignment)
                .join(Scid, Scid.id == ResourceAssignment.scid_id)
                .where(Scid.code == "SPKR")
                .order_by(ResourceAssignment.id)
            ).first()
            assert peaker is not None
            transfer = submit_transfer(
                session,
                trader,
                TransferRequest(
                    resource_ids=[peaker.resource.resource_id],
                    from_scid="SPKR",
                    to_scid="DTGN",
                    effective_date=earliest_effective_date(
                        TransferKind.CHANGE_OF_SC, today, has_station_power=False, calendar=calendar
                    ),
                    resource_owner="Sierra Peaking Power",
                    signatory_name="Dana Reyes",
                    signatory_title="Vice President",
                ),
                clock=clock,
                calendar=calendar,
            )
            generate_transfer_letters(session, trader, transfer.id, clock=clock, params=parameters)
            thermal = session.scalars(
                select(ResourceAssignment)
                .join(Scid, Scid.id == ResourceAssignment.scid_id)
                .where(Scid.code == "DTGN")
                .order_by(ResourceAssignment.id)
            ).first()
            assert thermal is not None
            return SeededMarket(transfer.id, thermal.resource.resource_id)
    finally:
        engine.dispose()


def fast_settings(database_url: str) -> Settings:
    """Settings of a test market: the database, cheap password hashing, defaults otherwise."""
    return Settings(database_url=database_url,
                    market=MarketParameters(access=AccessRules(**FAST_HASHING)))


def seed_market_day(settings: Settings, trade_date: date, certified_on: date) -> str:
    """The RTS-GMLC Master File with the forecasts of ``trade_date``, the demo ISO and SCs
    (certified, with credit, resources and :data:`PASSWORD`); returns the network model's name."""
    upgrade(settings.database_url)
    parameters = settings.market_parameters()
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            summary = import_rts_gmlc(session, settings.rts_gmlc_dir, parameters)
            load_rts_gmlc_forecasts(session, network_model(session, summary.model_name),
                                    settings.rts_gmlc_dir, trade_date, MarketCalendar(parameters))
            seed_demo_participants(session, certified_on)
            set_demo_passwords(session, PASSWORD, parameters.access)
            certify_demo_resources(session, certified_on)
            seed_demo_credit(session, certified_on, parameters)
            return summary.model_name
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, log_path: Path) -> Iterator[str]:
    """Serve the app on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "GRIDMARKET_DATABASE_URL": database_url,
        **{f"GRIDMARKET_MARKET__ACCESS__{k.upper()}": str(v) for k, v in FAST_HASHING.items()},
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "gridmarket.api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"the server stopped: {log_path.read_text()[-2000:]}")
                try:
                    if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def live_server_on_clock(settings: Settings, clock: FixedClock) -> Iterator[str]:
    """Serve the app from a thread of this process on ``clock`` until the block ends.

    The server reads the time from ``clock`` at every request, so the test moves
    the market's time with ``clock.set(...)`` between steps. Yields the base URL.
    """
    app = create_app(settings)
    app.state.clock = clock
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
