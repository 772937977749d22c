"""The demo's market day: the SCs bid through the API, the DAM closes and clears, real time runs.

Everything goes through the same doors a participant and the ISO's operator
use: each demo SC's trader submits its bid set to ``POST /api/v1/bids`` with
a personal API token, and the operator closes the DAM with ``POST
/api/v1/markets/DAM/{date}/close``. The server runs in process on a clock
set to the market's own timeline (two hours before the DAM closes, then just
after the trade deadline), so the day can be replayed at any date.
Submissions carry idempotency keys, so running the demo twice resubmits
nothing new.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridmarket.access.models import Person
from gridmarket.access.tokens import create_api_token
from gridmarket.api.app import create_app
from gridmarket.calendar import MarketCalendar
from gridmarket.clock import FixedClock
from gridmarket.config import Settings
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.demo.bids import demo_bid_sets, demo_real_time_bid_set
from gridmarket.demo.scenario import DEMO_COORDINATORS
from gridmarket.metering.iso_collection import collect_iso_meter_data, demo_sqmd_records

OPERATOR_EMAIL = "operator@iso.example"
BIDDING_LEAD = timedelta(hours=2)
METER_DATA_DELAY = timedelta(hours=12)
"""Meter data arrives the morning after the trade day."""


@dataclass
class BiddingReport:
    submitted: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per SCID: bids by status."""
    closed: dict[str, Any] = field(default_factory=dict)


def submit_and_close(
    settings: Settings,
    trade_date: date,
    model_name: str,
    *,
    on_bid_set: Callable[[str, int], None] | None = None,
) -> BiddingReport:
    """Submit every demo SC's DAM bid set over HTTP, then close the DAM as the operator."""
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    clock = FixedClock(calendar.dam_close(trade_date) - BIDDING_LEAD)
    with _session(settings) as session:
        bid_sets = demo_bid_sets(session, trade_date, parameters, model_name)
        tokens = _tokens(session, settings, clock)
    report = BiddingReport()
    with _api(settings, clock) as client:
        report.submitted = _submit(client, bid_sets, tokens, on_bid_set)
        clock.set(max(calendar.dam_close(trade_date), calendar.ist_dam_close(trade_date)))
        closed = client.post(f"/api/v1/markets/DAM/{trade_date}/close",
                             headers=tokens[OPERATOR_EMAIL])
        closed.raise_for_status()
        report.closed = closed.json()
    return report


def submit_demo_bids(settings: Settings, trade_date: date, model_name: str, clock: FixedClock
                     ) -> dict[str, dict[str, int]]:
    """Submit every demo SC's DAM bid set over HTTP at ``clock``'s time; the close is not done.

    For a market where others bid too (a market entrant in the browser tests):
    the demo's SCs bid their side, and the operator closes when the time comes.
    Returns, per SCID, its bids by status.
    """
    with _session(settings) as session:
        bid_sets = demo_bid_sets(session, trade_date, settings.market_parameters(), model_name)
        tokens = _tokens(session, settings, clock)
    with _api(settings, clock) as client:
        return _submit(client, bid_sets, tokens, None)


def _submit(client: Any, bid_sets: list[dict[str, Any]], tokens: dict[str, dict[str, str]],
            on_bid_set: Callable[[str, int], None] | None) -> dict[str, dict[str, int]]:
    submitted = {}
    for bid_set in bid_sets:
        scid, day = bid_set["scid"], bid_set["trade_date"]
        response = client.post(
            "/api/v1/bids", json=bid_set,
            headers={**tokens[scid], "Idempotency-Key": f"demo-{scid}-{day}"})
        response.raise_for_status()
        submitted[scid] = _count(response.json()["bids"])
        if on_bid_set:
            on_bid_set(scid, len(bid_set["bids"]))
    return submitted


def submit_real_time_and_close(settings: Settings, trade_date: date, model_name: str
                              ) -> BiddingReport:
    """Submit the demo's real-time bids the day before, then close every real-time hour."""
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    clock = FixedClock(calendar.dam_results(trade_date))
    with _session(settings) as session:
        bid_set = demo_real_time_bid_set(session, trade_date, parameters, model_name)
        tokens = _tokens(session, settings, clock)
    report = BiddingReport()
    with _api(settings, clock) as client:
        scid = bid_set["scid"]
        response = client.post(
            "/api/v1/bids", json=bid_set,
            headers={**tokens[scid], "Idempotency-Key": f"demo-rt-{scid}-{trade_date}"})
        response.raise_for_status()
        report.submitted[scid] = _count(response.json()["bids"])
        clock.set(calendar.trade_day_end_utc(trade_date))
        for hour in range(1, calendar.hours_in_day(trade_date) + 1):
            closed = client.post(f"/api/v1/markets/RTM/{trade_date}/hours/{hour}/close",
                                 headers=tokens[OPERATOR_EMAIL])
            closed.raise_for_status()
            for status, count in closed.json()["statuses"].items():
                report.closed[status] = report.closed.get(status, 0) + count
    return report


@dataclass
class MeteringReport:
    iso_values: int = 0
    """5-minute values the ISO collected for ISO-metered resources."""
    submitted: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per SCID: SQMD records accepted and rejected."""


def collect_meter_data(settings: Settings, trade_date: date) -> MeteringReport:
    """The ISO collects its meters; each SC with SC-metered resources submits hourly SQMD."""
    parameters = settings.market_parameters()
    calendar = MarketCalendar(parameters)
    clock = FixedClock(calendar.trade_day_end_utc(trade_date) + METER_DATA_DELAY)
    report = MeteringReport()
    with _session(settings) as session:
        report.iso_values = collect_iso_meter_data(session, trade_date, parameters=parameters,
                                                   clock=clock).values_stored
        records = {c.scid: demo_sqmd_records(session, trade_date, c.scid, parameters=parameters)
                   for c in DEMO_COORDINATORS}
        tokens = _tokens(session, settings, clock, person="settlements")
    with _api(settings, clock) as client:
        for scid, rows in sorted(records.items()):
            if not rows:
                continue
            response = client.post("/api/v1/meter-data", headers=tokens[scid], json={
                "scid": scid, "trade_date": trade_date.isoformat(), "records": rows})
            response.raise_for_status()
            answer = response.json()
            report.submitted[scid] = {"accepted": answer["records_accepted"],
                                      "rejected": answer["records_rejected"]}
    return report


@contextmanager
def _api(settings: Settings, clock: FixedClock) -> Iterator[Any]:
    """The application in process on the market's clock, as an HTTP client."""
    app = create_app(settings)
    app.state.clock = clock
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette.testclient announces httpx2
        from fastapi.testclient import TestClient

        with TestClient(app) as client:
            yield client


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """One committed unit of work on the settings' database; the engine closed after."""
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _count(bids: list[dict[str, Any]]) -> dict[str, int]:
    return dict(Counter(bid["status"] for bid in bids))


def _tokens(session: Session, settings: Settings, clock: FixedClock, *, person: str = "trader"
            ) -> dict[str, dict[str, str]]:
    """Bearer headers of a person of each demo SC (by SCID) and of the ISO's operator."""
    emails = {f"{person}@{c.slug}.example": c.scid for c in DEMO_COORDINATORS}
    emails[OPERATOR_EMAIL] = OPERATOR_EMAIL
    rules = settings.market_parameters().access
    headers = {}
    for someone in session.scalars(select(Person).where(Person.email.in_(emails))):
        issued = create_api_token(session, someone.id, name="demo market day", lifetime_days=3,
                                  rules=rules, clock=clock, actor=None)
        headers[emails[someone.email]] = {"Authorization": f"Bearer {issued.secret}"}
    return headers
