"""System tests: the application as it is deployed, on PostgreSQL, under load and faults.

Run them alone with ``pytest tests/system`` (or ``pytest -m system``). They
need PostgreSQL (``GRIDMARKET_TEST_POSTGRES_URL``) and fail without it; a run
narrowed to SQLite (``GRIDMARKET_TEST_BACKENDS=sqlite``) skips them.

The demo market is seeded once per session into a database that the tests
copy (``CREATE DATABASE ... TEMPLATE``), so each test starts from the same
market without seeding it again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from tests.databases import BACKENDS, drop_postgres_database, fresh_postgres_database

from gridmarket.clock import FixedClock
from gridmarket.config import MarketParameters
from gridmarket.db.engine import make_engine, make_session_factory, unit_of_work
from gridmarket.demo.load import BidMarket, issue_api_tokens, prepare_bid_market

TRADE_DATE = date(2020, 7, 15)
ROLE_EMAILS = {
    "SC trader": "trader@desert.example",
    "SC user access administrator": "uaa@desert.example",
    "SC settlement analyst": "settlements@desert.example",
    "ISO market operator": "operator@iso.example",
    "ISO administrator": "admin@iso.example",
}
"""People of the demo cast the tests act as, by what they are."""


@dataclass(frozen=True)
class SeededMarket:
    database: str
    market: BidMarket
    tokens: dict[str, str]
    """Bearer secrets by the roles of :data:`ROLE_EMAILS`."""


def database_name(suffix: str) -> str:
    """A database name of its own for this test worker."""
    return f"gridmarket_system_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}{suffix}"


@pytest.fixture(scope="session")
def seeded_market() -> Iterator[SeededMarket]:
    """The RTS-GMLC Master File, the demo cast with credit, bid bodies and API tokens."""
    if "postgresql" not in BACKENDS:
        pytest.skip("system tests run on PostgreSQL (GRIDMARKET_TEST_BACKENDS excludes it)")
    name = database_name("")
    url = fresh_postgres_database(name)
    market = prepare_bid_market(url, TRADE_DATE)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            secrets = issue_api_tokens(session, list(ROLE_EMAILS.values()),
                                       FixedClock(market.clock), MarketParameters().access)
    finally:
        engine.dispose()
    yield SeededMarket(name, market, {role: secrets[email] for role, email in ROLE_EMAILS.items()})
    drop_postgres_database(name)


@contextmanager
def market_copy(seeded: SeededMarket, suffix: str) -> Iterator[str]:
    """A copy of the seeded market's database for one test (module); its URL."""
    name = database_name(suffix)
    try:
        yield fresh_postgres_database(name, template=seeded.database)
    finally:
        drop_postgres_database(name)
